"""Backprop Playground's engine: pure numpy backpropagation in the derivation's notation.

See ``docs/derivation.md`` (served by the app at ``/derivation``) for equations 1–18 cited
throughout.
"""

from engine.activations import ACTIVATIONS, Activation
from engine.contract import backprop_step, parse_network
from engine.datasets import (
    DATASETS,
    Dataset,
    DatasetInfo,
    accuracy,
    confusion_matrix,
    decision_threshold,
    encode_targets,
    make_dataset,
)
from engine.errors import SpecError
from engine.features import FEATURES, Feature
from engine.gradcheck import gradient_check, numeric_gradients
from engine.init import INIT_SCHEMES, init_params
from engine.losses import LOSSES, Loss
from engine.network import (
    ForwardCache,
    NetworkSpec,
    Params,
    backward,
    backward_deltas,
    descent_step,
    forward,
    gradients,
    mean_error,
    output_delta,
    params_from_lists,
    per_sample_error,
    trace,
)
from engine.stacked import FrameStats, StackedTrainer
from engine.stats import gradient_flow, grid_activations, node_stats
from engine.training import REGULARIZATIONS, Snapshot, Trainer, TrainingConfig, stack_key

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "FEATURES",
    "Dataset",
    "DatasetInfo",
    "Feature",
    "FrameStats",
    "decision_threshold",
    "encode_targets",
    "make_dataset",
    "INIT_SCHEMES",
    "LOSSES",
    "REGULARIZATIONS",
    "Activation",
    "ForwardCache",
    "Loss",
    "NetworkSpec",
    "Params",
    "Snapshot",
    "StackedTrainer",
    "SpecError",
    "Trainer",
    "TrainingConfig",
    "accuracy",
    "confusion_matrix",
    "backprop_step",
    "backward",
    "backward_deltas",
    "descent_step",
    "forward",
    "gradient_check",
    "gradients",
    "gradient_flow",
    "grid_activations",
    "init_params",
    "mean_error",
    "node_stats",
    "numeric_gradients",
    "output_delta",
    "params_from_lists",
    "parse_network",
    "per_sample_error",
    "stack_key",
    "trace",
]
