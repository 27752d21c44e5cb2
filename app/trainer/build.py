"""From a validated session body to the engine's objects: dataset, spec, parameters, trainer.

This is where the edge's plain lists become numpy arrays. Every refusal names its field
(``FieldError`` for the server's limits, the engine's ``SpecError`` for everything else).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.errors import FieldError
from app.limits import at_most
from app.schemas import SessionCreate
from app.settings import Settings
from app.trainer import frames
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
    config: TrainingConfig
    max_abs: float = float("inf")  # the server's max_abs_value: training past it is diverged
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
        trainer = Trainer.from_dataset(
            self.spec, params, self.dataset, config or self.config, probe_index
        )
        trainer.max_abs = self.max_abs
        return trainer


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
        config=config,
        max_abs=settings.max_abs_value,
    )
