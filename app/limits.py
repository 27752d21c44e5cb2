"""The server's limits, applied to validated request bodies.

Each check raises ``FieldError`` naming the field, the limit and the setting that holds it, so
that a refusal reads e.g. ``network.hidden_layers[2]: 64 units exceed the limit of 32
(max_units_per_layer)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.api_requests import BackpropRequest
from app.errors import FieldError
from app.schemas import (
    DatasetIn,
    NetworkIn,
    SessionCreate,
)
from app.settings import Settings


def at_most(field: str, value: float, limit: float, setting: str, what: str = "") -> None:
    """Raise unless value ≤ limit."""
    if value > limit:
        shown = f"{value} {what}".strip()
        raise FieldError(field, f"{shown} exceeds the limit of {limit} ({setting})")


def check_matrix(field: str, rows: Sequence[Sequence[float]], settings: Settings) -> int:
    """Rows of equal, non-zero width with |x| ≤ max_abs_value; returns the width."""
    if not rows:
        raise FieldError(field, "must have at least one row")
    width = len(rows[0])
    if width == 0:
        raise FieldError(f"{field}[0]", "must have at least one column")
    for r, row in enumerate(rows):
        if len(row) != width:
            raise FieldError(f"{field}[{r}]", f"has {len(row)} columns; row 0 has {width}")
        for c, x in enumerate(row):
            if abs(x) > settings.max_abs_value:
                raise FieldError(
                    f"{field}[{r}][{c}]",
                    f"|{x}| exceeds the limit of {settings.max_abs_value} (max_abs_value)",
                )
    return width


def check_values(field: str, values: Sequence, settings: Settings) -> None:
    """Every number in a nested list has |x| ≤ max_abs_value."""
    for i, v in enumerate(values):
        if isinstance(v, list):
            check_values(f"{field}[{i}]", v, settings)
        elif abs(v) > settings.max_abs_value:
            raise FieldError(
                f"{field}[{i}]",
                f"|{v}| exceeds the limit of {settings.max_abs_value} (max_abs_value)",
            )


def check_network(net: NetworkIn, settings: Settings) -> None:
    at_most(
        "network.hidden_layers",
        len(net.hidden_layers),
        settings.max_hidden_layers,
        "max_hidden_layers",
        "hidden layers",
    )
    for l, n in enumerate(net.hidden_layers):
        at_most(
            f"network.hidden_layers[{l}]",
            n,
            settings.max_units_per_layer,
            "max_units_per_layer",
            "units",
        )
    if net.activations is not None:
        at_most(
            "network.activations",
            len(net.activations),
            settings.max_hidden_layers + 1,
            "max_hidden_layers",
            "activations",
        )
    if net.weights is not None:
        check_values("network.weights", net.weights, settings)
    if net.biases is not None:
        check_values("network.biases", net.biases, settings)


def check_dataset(data: DatasetIn, settings: Settings) -> None:
    at_most("dataset.n", data.n, settings.max_samples, "max_samples", "samples")
    at_most("dataset.noise", data.noise, settings.max_noise, "max_noise")
    if data.features is not None:
        at_most(
            "dataset.features",
            len(data.features),
            settings.max_input_width,
            "max_input_width",
            "features",
        )
    if data.inputs is not None:
        at_most("dataset.inputs", len(data.inputs), settings.max_samples, "max_samples", "rows")
        width = check_matrix("dataset.inputs", data.inputs, settings)
        at_most("dataset.inputs[0]", width, settings.max_input_width, "max_input_width", "columns")
    if data.targets is not None:
        at_most("dataset.targets", len(data.targets), settings.max_samples, "max_samples", "rows")
        width = check_matrix("dataset.targets", data.targets, settings)
        at_most("dataset.targets[0]", width, settings.max_outputs, "max_outputs", "columns")


def check_session(body: SessionCreate, settings: Settings) -> None:
    """All limits on a session's configuration."""
    check_network(body.network, settings)
    check_dataset(body.dataset, settings)
    body.training.check_limits(settings)
    if body.state is not None and body.state.velocity is not None:
        check_values("state.velocity.weights", body.state.velocity.weights, settings)
        check_values("state.velocity.biases", body.state.velocity.biases, settings)


def check_epochs(field: str, epochs: int, settings: Settings) -> None:
    at_most(field, epochs, settings.max_epochs_per_request, "max_epochs_per_request", "epochs")


BATCH_WORK = 600  # one batch's fixed cost per layer, in sample × parameter units (measured)
EPOCH_BATCHES = 4  # an epoch's fixed cost (snapshot, bookkeeping), in batches


def epoch_work(samples: int, parameters: int, batch_size: int, layers: int) -> int:
    """The cost of one training epoch in sample × parameter units: the arithmetic grows with
    N × P, and each batch and each epoch add a fixed cost per layer (numpy call overhead, which
    dominates small networks trained online). About 20 ns per unit on one core."""
    batches = -(-samples // max(1, min(batch_size, samples)))
    return samples * parameters + BATCH_WORK * layers * (batches + EPOCH_BATCHES)


def check_train_work(field: str, epochs: int, per_epoch: int, settings: Settings) -> None:
    """Refuse a train/step request whose work exceeds ``max_train_work``, naming the largest
    number of epochs this session may train in one request."""
    limit = settings.max_train_work
    if epochs * per_epoch > limit:
        raise FieldError(
            field,
            f"{epochs} epochs × {per_epoch} work per epoch exceed the limit of {limit} "
            f"(max_train_work); this session may train at most {limit // per_epoch} epochs "
            "per request",
        )


def check_backprop(body: BackpropRequest, settings: Settings) -> None:
    sizes = body.network.layer_sizes
    at_most(
        "network.layer_sizes",
        len(sizes) - 2,
        settings.max_hidden_layers,
        "max_hidden_layers",
        "hidden layers",
    )
    at_most(
        "network.layer_sizes[0]", sizes[0], settings.max_input_width, "max_input_width", "inputs"
    )
    for l in range(1, len(sizes) - 1):
        at_most(
            f"network.layer_sizes[{l}]",
            sizes[l],
            settings.max_units_per_layer,
            "max_units_per_layer",
            "units",
        )
    at_most(
        f"network.layer_sizes[{len(sizes) - 1}]",
        sizes[-1],
        settings.max_outputs,
        "max_outputs",
        "outputs",
    )
    at_most("inputs", len(body.inputs), settings.max_predict_inputs, "max_predict_inputs", "rows")
    check_matrix("inputs", body.inputs, settings)
    check_matrix("targets", body.targets, settings)
    at_most("learning_rate", body.learning_rate, settings.max_learning_rate, "max_learning_rate")
    if body.network.weights is not None:
        check_values("network.weights", body.network.weights, settings)
    if body.network.biases is not None:
        check_values("network.biases", body.network.biases, settings)


# ---- memory ----------------------------------------------------------------------------------

# Bytes a session holds in its trainer, per unit of its size (tracemalloc after two epochs with
# frames, state and checkpoints, over shapes from the default to the largest; these are about
# 1.3-2.5x what was measured, so that the estimate is an upper bound): float64 arrays over
# samples × units (data, forward passes, snapshot caches), per inline value (the body's lists,
# kept to rebuild and export the session), per parameter (parameters, velocity, gradients,
# snapshots), per heatmap cell × unit (the grid's inputs and activations), and a fixed part.
BYTES_PER_SAMPLE_UNIT = 48
BYTES_PER_INLINE_VALUE = 200
BYTES_PER_PARAMETER = 400
BYTES_PER_GRID_UNIT = 32
SESSION_OVERHEAD = 512 << 10


def session_bytes(
    samples: int, layer_sizes: Sequence[int], grid_cells: int, inline_values: int = 0
) -> int:
    """Estimated bytes one session holds in its trainer once it trains and streams (an upper
    bound, see the constants above)."""
    units = sum(layer_sizes)
    params = sum((a + 1) * b for a, b in zip(layer_sizes, layer_sizes[1:], strict=False))
    return (
        BYTES_PER_SAMPLE_UNIT * samples * units
        + BYTES_PER_INLINE_VALUE * inline_values
        + BYTES_PER_PARAMETER * params
        + BYTES_PER_GRID_UNIT * grid_cells * units
        + SESSION_OVERHEAD
    )


def session_bytes_of(body: SessionCreate, settings: Settings) -> int:
    """``session_bytes`` of a session body, before anything is built: inputs are the features
    (or the inline columns), outputs the inline targets' width, 2 for softmax (one-hot pairs),
    else 1."""
    d, net = body.dataset, body.network
    if d.inputs:
        samples, n_0 = len(d.inputs), len(d.inputs[0])
    else:
        samples, n_0 = d.n, len(d.features) if d.features else 2
    if d.targets:
        K = len(d.targets[0])
    else:
        K = 2 if net.activations and net.activations[-1] == "softmax" else 1
    inline = samples * (n_0 + K) if d.inputs else 0
    sizes = (n_0, *net.hidden_layers, K)
    return session_bytes(samples, sizes, settings.grid_resolution**2, inline)


def check_memory(needed: int, server_total: int, client_total: int, settings: Settings) -> None:
    """Refuse (429, field ``session``) a session of ``needed`` bytes that would take the
    server's sessions past ``max_memory_mb`` or its client's past ``max_memory_mb_per_client``;
    the message names the setting, the estimate and what is in use."""
    mb = 1 << 20
    for total, limit, setting, whose in (
        (server_total, settings.max_memory_mb, "max_memory_mb", "the server's"),
        (
            client_total,
            settings.max_memory_mb_per_client,
            "max_memory_mb_per_client",
            "this client's",
        ),
    ):
        if total + needed > limit * mb:
            raise FieldError(
                "session",
                f"this session needs about {needed / mb:.1f} MB; {whose} sessions hold "
                f"{total / mb:.1f} MB of the limit of {limit} MB ({setting}): delete a "
                "session, or use fewer samples or units",
                status_code=429,
                kind="limit",
            )
