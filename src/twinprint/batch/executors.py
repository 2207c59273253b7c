"""One executor interface for jobs: a local process pool, or Dask's executor on a cluster.

Both hand out concurrent.futures futures of `run_job(task)`, so the batch loop
does not know where jobs run. Local workers come from a fork server that has
imported twinprint once; each worker then prepares fonts once (prepare_worker).
Dask workers are started with one thread each (WeasyPrint holds the GIL) and
get each job's files shipped with it; a job whose worker dies is rescheduled by
the scheduler, a job whose local worker dies is resubmitted by the batch loop.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import multiprocessing.process
import multiprocessing.util
import os
import shutil
import tempfile
from typing import Protocol

from ..errors import UsageError
from ..render.fontfolders import remove_folders_of, remove_folders_of_ended_processes
from .worker import JobResult, JobTask, prepare_worker, run_job

CLUSTER_CONNECT_TIMEOUT_S = 20.0
# Linux's limit on a socket path (sun_path), and the name multiprocessing gives the fork server's socket.
AF_UNIX_PATH_MAX = 107
LISTENER_NAME = "/listener-XXXXXXXX"
SHORT_TEMP_ROOTS = ("/tmp", "/var/tmp", "/dev/shm")


def keep_socket_paths_short() -> None:
    """Give multiprocessing a short temp folder when TMPDIR is too long for the fork server's socket.

    Python 3.11 puts that socket in a pymp-* folder under TMPDIR and fails with "AF_UNIX path too
    long" past 107 characters (3.13 falls back the same way). Only that folder moves.
    """
    config = multiprocessing.process.current_process()._config  # multiprocessing.util.get_temp_dir() keeps it there
    folder = config.get("tempdir") or os.path.join(tempfile.gettempdir(), "pymp-XXXXXXXX")
    if len(folder) + len(LISTENER_NAME) < AF_UNIX_PATH_MAX:
        return
    root = next((r for r in SHORT_TEMP_ROOTS if os.access(r, os.W_OK)), None)
    if root is None:
        raise UsageError(f"TMPDIR {tempfile.gettempdir()!r} is too long for the workers' socket and none of "
                         f"{', '.join(SHORT_TEMP_ROOTS)} is writable: set TMPDIR to a shorter folder")
    short = tempfile.mkdtemp(prefix="pymp-", dir=root)
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(short, True), exitpriority=-100)
    config["tempdir"] = short


class JobExecutor(Protocol):
    """Where jobs run: submit tasks, get concurrent.futures futures of their results."""

    ships_files: bool  # True: tasks carry their content and layouts (no shared storage)
    generation: int  # bumped each time a broken pool is replaced

    @property
    def workers(self) -> int: ...
    @property
    def description(self) -> str: ...
    def submit(self, task: JobTask) -> "cf.Future[JobResult]": ...
    def replace_broken(self) -> None: ...
    def abandon(self) -> None: ...
    def close(self) -> None: ...


class InlineRun:
    """A single job runs in this process: starting workers would cost more than the job."""

    ships_files = False
    generation = 0
    workers = 1
    description = "this process"

    def submit(self, task: JobTask) -> "cf.Future[JobResult]":
        future: cf.Future[JobResult] = cf.Future()
        future.set_running_or_notify_cancel()
        future.set_result(run_job(task, prepare=False))
        return future

    def replace_broken(self) -> None: ...
    def abandon(self) -> None: ...
    def close(self) -> None: ...


class LocalPool:
    """Worker processes on this machine; outputs and inputs are on the local disk."""

    ships_files = False

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.generation = 0
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        # A fork server, not fork: the coordinator runs threads (progress bar, Dask client in tests).
        keep_socket_paths_short()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["twinprint.batch.worker"])
        return cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=prepare_worker,
                                      initargs=(os.getpid(),))

    @property
    def description(self) -> str:
        return f"{self.workers} local worker{'s' if self.workers > 1 else ''}"

    def submit(self, task: JobTask) -> "cf.Future[JobResult]":
        return self._pool.submit(run_job, task)

    def replace_broken(self) -> None:
        """A worker died (killed, out of memory): start a fresh pool for the jobs still to run."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        self.generation += 1

    def abandon(self) -> None:
        """Stop now: drop queued jobs and end the workers mid-job (Ctrl-C, --fail-fast)."""
        # ProcessPoolExecutor has no public way to end running workers before Python 3.14.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()

    def close(self) -> None:
        workers = list((getattr(self._pool, "_processes", None) or {}).keys())
        self._pool.shutdown(wait=True)
        # Pool workers end with os._exit (no atexit): their font copies go with them here, not at the next run.
        for pid in workers:
            remove_folders_of(pid)


class DaskCluster:
    """Workers of a Dask distributed scheduler; each task carries its project files."""

    ships_files = True
    generation = 0

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            self.client = Client(address, timeout=CLUSTER_CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise UsageError(f"--cluster {address}: cannot reach a Dask scheduler there ({error})") from None
        try:
            self.client.wait_for_workers(1, timeout=CLUSTER_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            self.client.close()
            raise UsageError(f"--cluster {address}: the scheduler has no workers (start some with `dask worker {address} --nthreads 1`)") from None
        self.address = address
        # pure=False: two identical jobs are still two tasks (Dask would otherwise merge them by key).
        self._executor = self.client.get_executor(pure=False)

    @property
    def workers(self) -> int:
        return max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    @property
    def description(self) -> str:
        return f"Dask cluster {self.address} ({self.workers} worker thread{'s' if self.workers > 1 else ''})"

    def submit(self, task: JobTask) -> "cf.Future[JobResult]":
        return self._executor.submit(run_job, task)

    def replace_broken(self) -> None:
        """Nothing to do: the scheduler reschedules the tasks of a worker that died."""

    def abandon(self) -> None:
        self._executor.shutdown(wait=False)
        self.client.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.client.close()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def open_executor(workers: int | None, cluster: str | None, job_count: int) -> JobExecutor:
    remove_folders_of_ended_processes()  # font copies of an earlier run that was killed
    if cluster:
        return DaskCluster(cluster)
    if job_count == 1:
        return InlineRun()
    return LocalPool(min(workers or default_workers(), job_count))
