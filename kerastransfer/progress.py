"""Progress for long runs: Keras's bar on a terminal, plain lines anywhere else.

Keras's `Progbar` redraws itself with backspaces, carriage returns and ANSI colour codes
(and on Linux assumes a terminal even when there is none), which fills a piped log or a
CI transcript with escape codes. `Progress` uses it only when stdout is a terminal;
otherwise it prints one plain line every `every_fraction` of the run or `every_seconds`,
whichever comes first, and a last line at the end.

Example:
    >>> progress = Progress(100, "image")
    >>> for done in range(1, 101):
    ...     progress.update(done)
"""
import sys
import time


def on_terminal(stream=None):
    """Whether `stream` (default sys.stdout) is an interactive terminal."""
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


class Progress:
    """Counts `total` units of work (`unit`: "image", "iteration", "step", ...).

    Args:
        total: the number of units, >= 1.
        unit: what one unit is, for the messages.
        label: the line's first word in plain mode (e.g. the command's verb).
        interactive: a redrawn bar (True) or plain lines (False); None: a bar on a
            terminal only.
        every_fraction, every_seconds: how often plain mode prints a line.
    """

    def __init__(self, total, unit, label="", interactive=None, every_fraction=0.1,
                 every_seconds=30.0, stream=None):
        self.total = max(1, int(total))
        self.unit = unit
        self.label = label
        self.stream = stream
        self.every_count = max(1, int(self.total * every_fraction))
        self.every_seconds = every_seconds
        self.interactive = on_terminal(stream) if interactive is None else interactive
        self._start = self._last_time = time.monotonic()
        self._last_count = 0
        self._bar = None
        if self.interactive:
            import keras
            # every value shown as given (Progbar would average them over the run)
            self._bar = keras.utils.Progbar(self.total, unit_name=unit, stateless_metrics=())

    def update(self, count, values=None):
        """`count` units done so far; `values`: (name, number) pairs shown beside it."""
        if self._bar is not None:
            self._bar.update(count, values=values)
            return
        now = time.monotonic()
        finished = count >= self.total
        due = (count - self._last_count >= self.every_count
               or now - self._last_time >= self.every_seconds)
        if not (finished or due) or count == self._last_count:
            return
        self._last_count, self._last_time = count, now
        shown = "".join(f", {name} {value:.4g}" for name, value in values or ())
        prefix = f"{self.label} " if self.label else ""
        print(f"{prefix}{count}/{self.total} {self.unit}s, {now - self._start:.0f} s{shown}",
              file=self.stream or sys.stdout, flush=True)
