"""ex06 · Ping-pong over a Pipe: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Ping-pong over a Pipe"
CHAPTER = "02-process-queue-pipe"
SECTION = "`Pipe` and `EOFError`"
CONCEPT = "Pipe round trips, poll() before recv(), EOFError only once every copy of the other end is closed"
TRY = "ping_pong(3)"
HINTS = (
    (
        "Take turns: send a number, then poll(POLL_TIMEOUT_S) and recv() the answer before "
        "sending again. Send 0 first, then send back each answer you get. A poll() that returns "
        "False means the other side is gone: raise TimeoutError."
    ),
    (
        "The child learns that the game is over when recv() raises EOFError: catch it and return,"
        " closing conn in a finally, and the child exits with 0. The parent makes that happen by "
        "closing parent_end once it has its n answers; it closes its copy of child_end right "
        "after start()."
    ),
    (
        "EOFError comes only when EVERY copy of parent_end is closed, and under fork the child "
        "inherits one. That is why ping_pong passes parent_end to the child as unused_end: "
        "reply_until_eof closes it first thing. Then join(timeout=JOIN_TIMEOUT_S); still alive? "
        "terminate() and join again."
    ),
)
