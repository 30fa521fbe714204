"""The pool explorer's controls and their layout, built once per `mpbook.widgets.PoolExplorer`.

Kept apart from `mpbook.widgets` so the explorer's class reads as behaviour (check, run, show,
close) and this module as appearance (which control, its range, where it sits):

    VBox: pool kind · workers · chunksize · tasks · task size · task sizes
          [ Run ] [ ] run on every change   status
          timeline image
          text output (numbers of this run, recent runs)

Imports ipywidgets: only the notebook imports it, never a worker process.
"""

from __future__ import annotations

import dataclasses

import ipywidgets as widgets

from mpbook import _arguments

LABEL_WIDTH = "110px"  # fits the longest label ("task sizes") so every slider starts at one x
SLIDER_WIDTH = "480px"  # fits a notebook column next to the label without wrapping


@dataclasses.dataclass(frozen=True)
class Controls:
    """The explorer's widgets: the six settings, the Run row, the image, the text output and the whole box."""

    kind: widgets.ToggleButtons
    workers: widgets.IntSlider
    chunksize: widgets.IntSlider
    tasks: widgets.IntSlider
    size: widgets.IntSlider
    shape: widgets.Dropdown
    run_button: widgets.Button
    auto_run: widgets.Checkbox
    status: widgets.HTML
    image: widgets.Image
    output: widgets.Output
    widget: widgets.VBox

    @property
    def settings(self) -> tuple[widgets.ValueWidget, ...]:
        """Return the six controls whose values make a run's Settings, in display order."""
        return (self.kind, self.workers, self.chunksize, self.tasks, self.size, self.shape)


@dataclasses.dataclass(frozen=True)
class Opening:
    """What the explorer opens with, checked: each setting's value and its control's range."""

    kinds: tuple[str, ...]
    kind: str
    workers: int
    max_workers: int
    chunksize: int
    tasks: int
    max_tasks: int
    size: int
    size_range: tuple[int, int, int]
    shapes: tuple[str, ...]
    shape: str


def check_settings(
    *,
    kinds: tuple[str, ...],
    kind: object,
    workers: object,
    max_workers: int,
    chunksize: object,
    tasks: object,
    max_tasks: int,
    size: object,
    size_range: object,
    shapes: tuple[str, ...],
    shape: object,
) -> Opening:
    """Return the settings as build_controls takes them if every one is in range; else raise."""
    if kind not in kinds:
        raise ValueError(f"kind must be one of {', '.join(map(repr, kinds))}, got {kind!r}")
    checked_workers = _arguments.integer("workers", workers, minimum=1, maximum=max_workers)
    checked_tasks = _arguments.integer("tasks", tasks, minimum=1, maximum=max_tasks)
    checked_chunksize = _arguments.integer("chunksize", chunksize, minimum=1, maximum=checked_tasks)
    if not isinstance(size_range, tuple) or len(size_range) != 3:
        raise TypeError(f"size_range must be a tuple (min, max, step), got {size_range!r}")
    low, high, step = size_range
    low = _arguments.integer("size_range min", low, minimum=1)
    high = _arguments.integer("size_range max", high, minimum=low)
    step = _arguments.integer("size_range step", step, minimum=1)
    checked_size = _arguments.integer("size", size, minimum=low, maximum=high)
    if shape not in shapes:
        raise ValueError(f"shape must be one of {', '.join(map(repr, shapes))}, got {shape!r}")
    return Opening(
        kinds=kinds,
        kind=kinds[kinds.index(kind)],  # a member of kinds, checked above
        workers=checked_workers,
        max_workers=max_workers,
        chunksize=checked_chunksize,
        tasks=checked_tasks,
        max_tasks=max_tasks,
        size=checked_size,
        size_range=(low, high, step),
        shapes=shapes,
        shape=shapes[shapes.index(shape)],  # a member of shapes, checked above
    )


def slider(description: str, value: int, low: int, high: int, step: int = 1) -> widgets.IntSlider:
    """Return an int slider that sends its value only when released."""
    return widgets.IntSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": LABEL_WIDTH},
        layout=widgets.Layout(width=SLIDER_WIDTH),
    )


def build_controls(opening: Opening, *, auto_run: bool) -> Controls:
    """Return the explorer's Controls showing these (already checked) settings, laid out in one VBox."""
    size_min, size_max, size_step = opening.size_range
    o = opening
    settings = (
        widgets.ToggleButtons(
            options=o.kinds, value=o.kind, description="pool", style={"description_width": LABEL_WIDTH}
        ),
        slider("workers", o.workers, 1, o.max_workers),
        slider("chunksize", o.chunksize, 1, o.tasks),
        slider("tasks", o.tasks, 1, o.max_tasks),
        slider("task size", o.size, size_min, size_max, size_step),
        widgets.Dropdown(
            options=o.shapes,
            value=o.shape,
            description="task sizes",
            style={"description_width": LABEL_WIDTH},
        ),
    )
    run_button = widgets.Button(description="Run", icon="play", button_style="primary")
    auto_run_box = widgets.Checkbox(value=auto_run, description="run on every change", indent=False)
    status = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="100%"))
    output = widgets.Output()
    box = widgets.VBox([*settings, widgets.HBox([run_button, auto_run_box, status]), image, output])
    return Controls(*settings, run_button, auto_run_box, status, image, output, box)
