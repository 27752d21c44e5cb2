"""The REST API's request bodies beyond a session's setup (``app.schemas``): train, predict,
edit a weight or a bias, check the gradients, one backprop step on a network of the request's
own, read a CSV file. Strict like every model at the edge: unknown fields, NaN and Infinity
are errors; the server's limits on them are checked in ``app/limits.py``.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from app.schemas import InitIn, Matrix, Row, Strict, Units


class TrainRequest(Strict):
    epochs: int = Field(1, ge=1, description="Epochs to train before answering.")
    job: bool | None = Field(
        None,
        description="true: run as a job (202 and a job URL); false: answer when done; "
        "default: a job when the work exceeds max_sync_train_work.",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"epochs": 100}]})


class PredictRequest(Strict):
    inputs: Matrix = Field(description="Rows of input features, shape (N, n_0).", min_length=1)
    targets: Matrix | None = Field(None, description="Optional targets for E and δ.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"inputs": [[0.5, -1.0]]}]})


class WeightEdit(Strict):
    layer: int = Field(ge=0, description="Index into W (0 = input → first layer).")
    i: int = Field(ge=0, description="Unit of layer l.")
    j: int = Field(ge=0, description="Unit of layer l+1.")
    value: float

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"layer": 0, "i": 0, "j": 1, "value": 0.5}]}
    )


class BiasEdit(Strict):
    layer: int = Field(ge=0, description="Index into b (0 = first layer after the input).")
    j: int = Field(ge=0)
    value: float

    model_config = ConfigDict(json_schema_extra={"examples": [{"layer": 0, "j": 1, "value": 0.1}]})


class GradientCheckRequest(Strict):
    samples: int | None = Field(None, ge=1, description="Use the first k training samples.")
    eps: float = Field(
        1e-4, gt=0, le=1e-2, description="Step of the five-point central difference."
    )


class BackpropNetwork(Strict):
    layer_sizes: list[Units] = Field(min_length=2)
    activations: list[str]
    loss: str = "sse"
    weights: list[Matrix] | None = None
    biases: list[Row] | None = None
    init: InitIn | None = None


class BackpropRequest(Strict):
    """The engine's ``backprop_step`` payload: a network, a batch and η."""

    network: BackpropNetwork
    inputs: Matrix = Field(min_length=1)
    targets: Matrix = Field(min_length=1)
    learning_rate: float

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "network": {
                        "layer_sizes": [2, 2, 2],
                        "activations": ["sigmoid", "sigmoid"],
                        "loss": "sse",
                        "weights": [[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
                        "biases": [[0.35, 0.35], [0.60, 0.60]],
                    },
                    "inputs": [[0.05, 0.10]],
                    "targets": [[0.01, 0.99]],
                    "learning_rate": 0.5,
                }
            ]
        }
    )


class CsvRequest(Strict):
    """A CSV file's text; with ``inputs`` and ``targets`` (column names) also its tables."""

    text: str = Field(description="The file's text: a header line (optional), then numbers.")
    inputs: list[str] | None = Field(None, description="Columns that become the inputs a_i.")
    targets: list[str] | None = Field(None, description="Columns that become the targets t_k.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "x1,x2,label\n0.5,1.0,1\n", "inputs": ["x1", "x2"], "targets": ["label"]}
            ]
        }
    )
