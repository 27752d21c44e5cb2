"""One BLAS thread per trainer process (issue 22).

numpy's BLAS (OpenBLAS here) starts a pool of one thread per core in every process that uses
it, and its threads spin while they wait for work. Trainers are one process per core already
(``BPP_TRAINERS``), so a trainer busy with large jobs put its BLAS threads on every core and took
them from the other trainers: in ``bench_stream.py --cases j`` (two trainer processes, one
run), another client's playing session kept 0.35 of its epochs/s with the job weight alone and
0.57 with one BLAS thread as well (frames/s 0.78 and 0.82). The networks are small (at most 32
units a layer), so a second thread never speeds one matrix product up. A trainer process
therefore starts with one BLAS thread; a variable the operator set keeps its value.
"""

from __future__ import annotations

import os

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread_for_children() -> None:
    """Processes spawned from now on start with one BLAS thread (numpy reads these variables
    when it is imported, so this process's own, already loaded, is unchanged)."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
