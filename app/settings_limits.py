"""The settings that bound what one client may ask of the server (a part of ``Settings``,
``app/settings.py``): the network's shape, the data, the work of training and the sessions
one client and the server hold, with their memory. Each field is a ``BPP_*`` variable.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from engine.training import MAX_REGULARIZATION_RATE


class LimitSettings(BaseModel):
    """Network shape, data, training and sessions: the hard limits of one client's work."""

    # Network shape
    max_hidden_layers: int = Field(8, ge=0, description="Hidden layers per network.")
    max_units_per_layer: int = Field(32, ge=1, description="Units in any hidden layer.")
    max_input_width: int = Field(64, ge=1, description="Input units (features) per network.")
    max_outputs: int = Field(16, ge=1, description="Output units per network.")
    # Data
    max_samples: int = Field(5000, ge=4, description="Samples per dataset (train + test).")
    max_noise: float = Field(1.0, ge=0, description="Largest dataset noise level.")
    max_abs_value: float = Field(1e6, gt=0, description="Largest |number| in inputs/weights.")
    # Training
    max_epochs_per_request: int = Field(10_000, ge=1, description="Epochs per train/step call.")
    max_train_work: int = Field(
        750_000_000,
        ge=1,
        description="Largest work of one train/step call: epochs × (training samples × "
        "parameters + 600 × layers × (batches + 4)); about 10 s on one core at the default.",
    )
    max_sync_train_work: int = Field(
        60_000_000,
        ge=0,
        description="Largest work of a train request answered when it is done (about 1–2 s "
        "on one core; work as in max_train_work); a longer one runs as a job: 202 and a job "
        "URL with its progress, result and cancel. 0: every train request is a job.",
    )
    max_jobs_per_session: int = Field(
        4,
        ge=1,
        description="Training jobs one session holds: unfinished ones beyond this are refused "
        "(429), finished ones beyond it forgotten, oldest first.",
    )
    job_weight: float = Field(
        0.1,
        gt=0,
        le=1,
        description="A running job's weight in a trainer's fair shares against a playing "
        "session (1): another client's playing session keeps 1 / (1 + job_weight) of the "
        "trainer beside any number of jobs (0.91 at 0.1); jobs alone still use all of it.",
    )
    share_interval: float = Field(
        0.2,
        ge=0,
        le=10,
        description="Seconds between a trainer's reports of the heaviest weight it trains "
        "(1 playing, job_weight for jobs only) to the web process, which tells the other "
        "trainers: a trainer with only jobs then trains job_weight / (1 + job_weight) of the "
        "time while a session plays on another one, so jobs do not take the cores a playing "
        "session needs (app.trainer.elsewhere). 0: each trainer shares only its own time.",
    )
    max_learning_rate: float = Field(100.0, gt=0, description="Largest learning rate η.")
    max_regularization_rate: float = Field(
        MAX_REGULARIZATION_RATE,
        ge=0,
        le=MAX_REGULARIZATION_RATE,
        description="Largest L1/L2 rate (at most the engine's own bound).",
    )
    gradient_check_samples: int = Field(64, ge=1, description="Default gradient-check batch.")
    max_gradient_check_work: int = Field(
        1_000_000, ge=1, description="Largest samples × parameters of one gradient check."
    )
    max_predict_inputs: int = Field(1000, ge=1, description="Rows per predict/backprop call.")
    # Sessions
    max_sessions: int = Field(
        400,
        ge=1,
        description="Sessions held by the server in total: a full classroom (250 seats) with "
        "headroom for the teacher's, comparisons and visitors.",
    )
    max_sessions_per_client: int = Field(20, ge=1, description="Sessions per client address.")
    max_memory_mb: int = Field(
        2048,
        ge=16,
        description="Memory the server's sessions may take together, as estimated from each "
        "session's samples, units and parameters (an upper bound); a session beyond it is "
        "refused with 429 naming this limit.",
    )
    max_memory_mb_per_client: int = Field(
        512, ge=16, description="Memory the sessions of one client address may take (as above)."
    )
    sweep_interval_seconds: float = Field(
        30.0, gt=0, description="How often idle sessions are evicted and unused ones deleted."
    )
    unwatched_pause_seconds: float = Field(
        120.0,
        gt=0,
        description="A playing session nobody has watched for this long (a closed tab) is "
        "paused by the sweep; a short network blip pauses nothing.",
    )
    max_history_points: int = Field(4000, ge=16, description="Loss-curve points kept.")
    max_csv_bytes: int = Field(
        512 << 10, ge=64, description="Largest CSV file a user may upload (POST /api/csv)."
    )
    max_csv_rows: int = Field(5000, ge=4, description="Rows of numbers in an uploaded CSV.")
    max_csv_columns: int = Field(32, ge=2, description="Columns in an uploaded CSV.")
    max_replay_bytes: int = Field(
        2 << 20,
        ge=0,
        description="Memory per session for replay checkpoints (copies of W and b, thinned to "
        "evenly spaced epochs when full).",
    )
    max_replay_checkpoint_bytes: int = Field(
        128 << 10,
        ge=0,
        description="Weights of replay checkpoints saved with a session (so that replay survives "
        "eviction, a restart and a kill -9), thinned to evenly spaced epochs to fit; stored as "
        "base64, about 4/3 of this in the store.",
    )
    max_gradient_flow_points: int = Field(
        200,
        ge=16,
        description="Epochs of the gradient-flow chart kept per session (each layer's mean |δ| "
        "and |∂E/∂w|); thinned like the loss curve, each point one backward pass over the "
        "training set.",
    )
