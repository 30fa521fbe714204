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
) -> tuple[int, int, int]:
    """Return size_range as (min, max, step) if every setting is in range (as build_controls takes them); else raise."""
    if kind not in kinds:
        raise ValueError(f"kind must be one of {', '.join(map(repr, kinds))}, got {kind!r}")
    _arguments.integer("workers", workers, minimum=1, maximum=max_workers)
    checked_tasks = _arguments.integer("tasks", tasks, minimum=1, maximum=max_tasks)
    _arguments.integer("chunksize", chunksize, minimum=1, maximum=checked_tasks)
    if not isinstance(size_range, tuple) or len(size_range) != 3:
        raise TypeError(f"size_range must be a tuple (min, max, step), got {size_range!r}")
    low, high, step = size_range
    _arguments.integer("size_range min", low, minimum=1)
    _arguments.integer("size_range max", high, minimum=low)
    _arguments.integer("size_range step", step, minimum=1)
    _arguments.integer("size", size, minimum=low, maximum=high)
    if shape not in shapes:
        raise ValueError(f"shape must be one of {', '.join(map(repr, shapes))}, got {shape!r}")
    return low, high, step


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


def build_controls(
    *,
    kinds: tuple[str, ...],
    kind: str,
    workers: int,
    max_workers: int,
    chunksize: int,
    tasks: int,
    max_tasks: int,
    size: int,
    size_range: tuple[int, int, int],
    shapes: tuple[str, ...],
    shape: str,
    auto_run: bool,
) -> Controls:
    """Return the explorer's Controls showing these (already checked) settings, laid out in one VBox."""
    size_min, size_max, size_step = size_range
    kind_buttons = widgets.ToggleButtons(
        options=kinds, value=kind, description="pool", style={"description_width": LABEL_WIDTH}
    )
    settings = (
        kind_buttons,
        slider("workers", workers, 1, max_workers),
        slider("chunksize", chunksize, 1, tasks),
        slider("tasks", tasks, 1, max_tasks),
        slider("task size", size, size_min, size_max, size_step),
        widgets.Dropdown(
            options=shapes, value=shape, description="task sizes", style={"description_width": LABEL_WIDTH}
        ),
    )
    run_button = widgets.Button(description="Run", icon="play", button_style="primary")
    auto_run_box = widgets.Checkbox(value=auto_run, description="run on every change", indent=False)
    status = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="100%"))
    output = widgets.Output()
    box = widgets.VBox([*settings, widgets.HBox([run_button, auto_run_box, status]), image, output])
    return Controls(*settings, run_button, auto_run_box, status, image, output, box)
