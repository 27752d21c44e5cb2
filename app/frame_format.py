"""The binary frame (docs/contract.md, "Binary frames"), its format: shared by the trainer,
which encodes it (``app/trainer/frame_binary.py``), and the web process, whose protocol page
shows this layout; the Python client and the page (``static/js/frame-binary.js``) read it.

Version 1, little-endian, one WebSocket binary message per frame::

    header   "BPF" version:u8 kind:u8 status:u8 flags:u16 probe:u16
             n_sizes:u8 n_metrics:u8 names_len:u8 pad:u8                    (14 bytes)
    sizes    n_sizes × u16                     layer sizes n_0 … n_L
    names    names_len bytes                   metric names, ASCII, joined by ","
    scalars  (6 + n_metrics) × f64             epoch, loss_train, loss_test, probe index,
                                               probe error, η, metric values (NaN: null)
    exact    f64 × …                           W, b, the probe's input, target, output,
                                               Eq. 7's updated W, b (each matrix
                                               row-major, n_l × n_{l+1})
    arrays   f32 × …                           ∂E/∂W, ∂E/∂b (Eq. 6/8/15/18), the probe's
                                               z, a, g'(z), δ per layer (Eq. 5, 14), its
                                               gradients δ_j a_i, δ_j; then node
                                               statistics (mean a_j, mean |δ_j|) per layer
    grid     resolution:u16 dims:u8 pad:u8 domain:(2·dims × f64)
             lo:(U × f32) hi:(U × f32) zlen:u32 zdata:(zlen bytes)
    kind     1 = frame (no other kind yet)
    status   0 paused, 1 running, 2 diverged
    flags    1 loss_test present, 2 grid follows, 4 node statistics follow,
             8 a replayed frame, 16 η present, 32 keep: no grid or node statistics
             here, the last ones still hold
    probe    bit k set: field k present, k over (input, target, output, error, z, a,
             g_prime, delta, gradients, updated); only present fields are sent

``probe`` has a bit per probe field present (``PROBE_FIELDS``: a session may conceal some);
``flags`` says which optional parts follow. The grid's U = Σ n_l units each hold G cells
quantised as the JSON form's ``round(255 (a − lo) / (hi − lo))``; zdata is zlib (RFC 1950)
of the U × G bytes after a difference filter (each byte minus the one before it in the
unit, mod 256), which the smooth heatmaps shrink to about a third.
"""

from __future__ import annotations

import struct

MAGIC = b"BPF"
VERSION = 1
KIND_FRAME = 1
STATUSES = ("paused", "running", "diverged")

F_TEST_LOSS = 1 << 0
F_GRID = 1 << 1
F_NODE_STATS = 1 << 2
F_REPLAY = 1 << 3
F_LEARNING_RATE = 1 << 4
F_KEEP = 1 << 5  # grid and node statistics left out: the reader keeps the last ones it had

# the probe's fields, one bit each (in this order): a session may conceal any of them
PROBE_FIELDS = (
    "input", "target", "output", "error", "z", "a", "g_prime", "delta", "gradients", "updated",
)  # fmt: skip
LAYER_KEYS = ("z", "a", "g_prime", "delta")
HEADER = struct.Struct("<3sBBBHHBBBx")
GRID_HEAD = struct.Struct("<HBx")
ZLIB_LEVEL = 1  # deflate's fastest: 3 to 10 times faster than 6, frames 1–3 % larger
DEFLATE_LEVEL = 1  # ISA-L's level 1 (app/trainer/deflate.py): zlib 1's size, 3–5× faster
