"""A small process pool for streaming: ordered results, a bounded window, no hidden restarts.

``multiprocessing.Pool`` replaces a worker the kernel killed and loses its task without a
word, and its workers take Ctrl-C themselves (tracebacks, ``UnpicklingError``). This pool is
shaped for the stream instead:

* each worker has its own pipe and at most one task at a time, so neither side can block the
  other on a full pipe, and the parent knows which task each worker holds;
* workers ignore SIGINT and take SIGTERM's default action: the parent owns the shutdown and
  ends them with :meth:`Pool.terminate`;
* a worker that dies is reported (:class:`WorkerLostError`) with the task it held, never
  replaced;
* results come back in task order, and at most ``window`` tasks are out at a time, so memory
  stays bounded by the window, not by the input.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sys
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from multiprocessing.process import BaseProcess

__all__ = ["Pool", "WorkerError", "WorkerLostError"]

T = TypeVar("T")
R = TypeVar("R")

#: The signals a worker must not act on by itself while it starts.
_SIGNALS = {signal.SIGINT, signal.SIGTERM}
#: Seconds a worker has to leave after SIGTERM before it gets SIGKILL.
_TERMINATE_GRACE = 0.5


class WorkerLostError(Exception):
    """A worker process died (killed by a signal, out of memory) while it held a task."""

    def __init__(self, pid: int | None, exitcode: int | None, task: object) -> None:
        """Record which worker died, how, and the task it held."""
        super().__init__(pid, exitcode, task)
        #: The process id of the worker.
        self.pid = pid
        #: Its exit code; ``-N`` when signal N killed it.
        self.exitcode = exitcode
        #: The task it was working on.
        self.task = task


class WorkerError(Exception):
    """A task raised an unexpected exception in a worker (a bug); the text says which."""


class _Worker:
    __slots__ = ("conn", "process", "task")

    def __init__(self, conn: Connection, process: BaseProcess) -> None:
        self.conn = conn
        self.process = process
        self.task: tuple[int, Any] | None = None


def _worker_main(
    conn: Connection,
    inherited: list[Connection],
    function: Callable[[Any], Any],
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> None:
    # the parent owns Ctrl-C (it reaches the whole process group) and ends workers by SIGTERM
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    for other in inherited:  # the parent's ends of earlier workers' pipes: EOF must reach them
        other.close()
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if task is None:
            return
        try:
            reply: tuple[bool, Any] = (True, function(task))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            reply = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except OSError:
            return


class Pool(Generic[T, R]):
    """``jobs`` worker processes applying ``function`` to tasks, results in task order."""

    def __init__(
        self,
        jobs: int,
        function: Callable[[T], R],
        *,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        """Start the workers (forked, so they inherit what the parent loaded; spawned on macOS).

        With ``fork`` the initializer is not run again in the workers: the parent runs it
        before, and the workers inherit its result.
        """
        method = "spawn" if sys.platform == "darwin" else "fork"
        context = multiprocessing.get_context(method)
        self._workers: list[_Worker] = []
        inherited: list[Connection] = []
        try:
            # blocked while forking: a signal in that window would run the parent's handler in
            # a child before the child ignores it
            old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
            try:
                for _ in range(jobs):
                    parent_end, child_end = context.Pipe()
                    process = context.Process(  # type: ignore[attr-defined]
                        target=_worker_main,
                        args=(
                            child_end,
                            list(inherited) if method == "fork" else [],
                            function,
                            initializer if method == "spawn" else None,
                            initargs,
                        ),
                        daemon=True,
                    )
                    process.start()
                    child_end.close()
                    inherited.append(parent_end)
                    self._workers.append(_Worker(parent_end, process))
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        except BaseException:  # a signal delivered when unblocked, too: no orphan workers
            self.terminate()
            raise

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def in_flight(self) -> list[T]:
        """The tasks the workers hold now (for a report when the run stops)."""
        return [w.task[1] for w in self._workers if w.task is not None]

    def imap(self, tasks: Iterable[T], window: int) -> Iterator[tuple[T, R]]:
        """Yield ``(task, result)`` in task order, with at most ``window`` tasks out at a time.

        Raises:
            WorkerLostError: a worker died; the pool is not usable any more.
            WorkerError: a task raised in a worker.
        """
        source = iter(tasks)
        idle = list(self._workers)
        done: dict[int, tuple[T, R]] = {}
        sent = emitted = 0
        exhausted = False
        while True:
            while idle and not exhausted and sent - emitted < window:
                task = next(source, None)
                if task is None:
                    exhausted = True
                    break
                worker = idle.pop()
                worker.task = (sent, task)
                sent += 1
                self._send(worker, task)
            busy = [w for w in self._workers if w.task is not None]
            if not busy and not done:
                return
            if busy:
                idle.extend(self._collect(busy, done))
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1

    def _send(self, worker: _Worker, task: T) -> None:
        try:
            worker.conn.send(task)
        except OSError:  # the worker died before reading it
            worker.process.join(_TERMINATE_GRACE)
            raise WorkerLostError(worker.process.pid, worker.process.exitcode, task) from None

    def _collect(self, busy: list[_Worker], done: dict[int, tuple[T, R]]) -> list[_Worker]:
        """Wait for results; store them in ``done``; return the workers that became idle."""
        handles: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
        ready = wait(handles)
        freed = []
        for worker in busy:
            assert worker.task is not None
            number, task = worker.task
            if worker.conn in ready or worker.conn.poll():
                try:
                    ok, value = worker.conn.recv()
                except (EOFError, OSError):
                    ok, value = None, None
                if ok is not None:
                    if not ok:
                        raise WorkerError(value)
                    done[number] = (task, value)
                    worker.task = None
                    freed.append(worker)
                    continue
            if worker.conn in ready or worker.process.sentinel in ready:
                worker.process.join(_TERMINATE_GRACE)
                raise WorkerLostError(worker.process.pid, worker.process.exitcode, task)
        return freed

    def close(self) -> None:
        """Let the workers finish (they hold no task when this is called) and wait for them."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(_TERMINATE_GRACE * 4)
        self.terminate()

    def terminate(self) -> None:
        """End every worker now: SIGTERM, then SIGKILL for any still alive after a grace."""
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join(_TERMINATE_GRACE)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers = []
