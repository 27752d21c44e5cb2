"""From a validated session body to the engine's objects: dataset, spec, parameters, trainer.

This is where the edge's plain lists become numpy arrays. Every refusal names its field
(``FieldError`` for the server's limits, the engine's ``SpecError`` for everything else).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app import frames
from app.errors import FieldError
from app.limits import at_most
from app.schemas import SessionCreate, TrainerStateIn
from app.settings import Settings
from engine import (
    ACTIVATIONS,
    NetworkSpec,
    Params,
    Trainer,
    TrainingConfig,
    init_params,
    params_from_lists,
)
from engine.datasets import Dataset, make_dataset

DEFAULT_ACTIVATION = "tanh"


@dataclass
class Built:
    """Everything a session trains with; ``params`` are the initial parameters (for reset)."""

    body: SessionCreate
    spec: NetworkSpec
    dataset: Dataset
    params: Params
    X_train: np.ndarray
    T_train: np.ndarray
    X_test: np.ndarray
    T_test: np.ndarray
    config: TrainingConfig
    _grids: dict[int, np.ndarray | None] = field(default_factory=dict, repr=False)

    def grid_inputs(self, resolution: int) -> np.ndarray | None:
        """The featurised grid the frames evaluate the network on, made once per resolution."""
        if resolution not in self._grids:
            self._grids[resolution] = frames.grid_inputs(self.dataset, resolution)
        return self._grids[resolution]

    def new_trainer(
        self, params: Params, probe_index: int = 0, config: TrainingConfig | None = None
    ) -> Trainer:
        """A trainer on this data from ``params``, with the body's training settings unless
        ``config`` is given (a reset keeps the settings changed since)."""
        return Trainer(
            self.spec,
            params,
            self.X_train,
            self.T_train,
            self.X_test,
            self.T_test,
            config=config or self.config,
            task=self.dataset.task,
            probe_index=probe_index,
        )


def build(body: SessionCreate, settings: Settings) -> Built:
    """Make the dataset, the network spec (its input and output widths follow from the data)
    and the initial parameters; fill the defaults into a copy of the body."""
    d, net = body.dataset, body.network
    dataset = make_dataset(
        d.name,
        n=d.n,
        noise=d.noise,
        train_fraction=d.train_fraction,
        seed=d.seed,
        features=d.features,
        inputs=d.inputs,
        targets=d.targets,
        max_samples=settings.max_samples,
    )
    activations = net.activations or [DEFAULT_ACTIVATION] * (len(net.hidden_layers) + 1)
    output = activations[-1]
    n_0 = dataset.X_train.shape[1]
    at_most("dataset.features", n_0, settings.max_input_width, "max_input_width", "inputs")
    K = dataset.output_width(output) if output in ACTIVATIONS else dataset.T_train.shape[1]
    at_most("dataset.targets", K, settings.max_outputs, "max_outputs", "outputs")
    spec = NetworkSpec((n_0, *net.hidden_layers, K), tuple(activations), net.loss)
    if (net.weights is None) != (net.biases is None):
        missing = "network.biases" if net.biases is None else "network.weights"
        raise FieldError(missing, "weights and biases must be given together")
    if net.weights is not None:
        params = params_from_lists(spec, net.weights, net.biases)
    else:
        params = init_params(spec, net.init.scheme, net.init.seed, net.init.range)
    config = TrainingConfig(**body.training.model_dump())
    filled = body.model_copy(deep=True)
    filled.network.activations = list(activations)
    if filled.dataset.features is None and dataset.features is not None and dataset.dims == 2:
        filled.dataset.features = list(dataset.features)
    return Built(
        body=filled,
        spec=spec,
        dataset=dataset,
        params=params,
        X_train=dataset.X_train,
        T_train=dataset.encode_targets(dataset.T_train, output),
        X_test=dataset.X_test,
        T_test=dataset.encode_targets(dataset.T_test, output),
        config=config,
    )


def load_state(trainer: Trainer, state: TrainerStateIn) -> None:
    """Restore an exported trainer state (see ``export_state``)."""
    raw: dict = {"epoch": state.epoch, "samples_seen": state.samples_seen}
    if state.rng is not None:
        raw["rng"] = {
            "bit_generator": state.rng.bit_generator,
            "state": {"state": int(state.rng.state), "inc": int(state.rng.inc)},
            "has_uint32": state.rng.has_uint32,
            "uinteger": state.rng.uinteger,
        }
    if state.velocity is not None:
        raw["velocity"] = state.velocity.model_dump()
    try:
        trainer.load_state(raw)
    except (ValueError, TypeError, OverflowError) as exc:
        field = getattr(exc, "field", "state")
        raise FieldError(field, getattr(exc, "message", str(exc))) from None
    if state.probe_index:
        if state.probe_index >= trainer.X.shape[0]:
            raise FieldError(
                "state.probe_index", f"must be below {trainer.X.shape[0]} (the training samples)"
            )
        trainer.set_probe(state.probe_index)


def export_state(trainer: Trainer) -> dict:
    """The trainer's state as JSON (128-bit generator integers as decimal strings)."""
    state = trainer.state()
    rng = state["rng"]
    return {
        "epoch": state["epoch"],
        "samples_seen": state["samples_seen"],
        "probe_index": trainer.probe_index,
        "rng": {
            "bit_generator": rng["bit_generator"],
            "state": str(rng["state"]["state"]),
            "inc": str(rng["state"]["inc"]),
            "has_uint32": int(rng["has_uint32"]),
            "uinteger": int(rng["uinteger"]),
        },
        "velocity": state["velocity"],
    }
