"""A trainer's state as JSON and back: what a checkpoint needs beyond spec, θ and settings.

The epoch, the samples seen, the probe, the momentum velocity v and the shuffling generator
(PCG64, its 128-bit integers as decimal strings, exact in JavaScript too): with them a trainer
exported and imported again continues bit for bit (``Trainer.state``, ``Trainer.load_state``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import SpecError
from engine.network import params_from_lists

if TYPE_CHECKING:
    from engine.training import Trainer


def export_state(trainer: Trainer) -> dict[str, Any]:
    """``trainer``'s epoch, samples seen, probe, velocity and generator, as JSON."""
    rng = trainer.rng.bit_generator.state
    return {
        "epoch": trainer.epoch,
        "samples_seen": trainer.samples_seen,
        "probe_index": trainer.probe_index,
        "rng": {
            "bit_generator": rng["bit_generator"],
            "state": str(rng["state"]["state"]),
            "inc": str(rng["state"]["inc"]),
            "has_uint32": int(rng["has_uint32"]),
            "uinteger": int(rng["uinteger"]),
        },
        "velocity": trainer.velocity.to_lists(),
    }


def import_state(trainer: Trainer, state: dict[str, Any]) -> None:
    """Restore into ``trainer`` what ``export_state`` returned; a key left out keeps its value
    (epoch and samples seen: 0). A bad value raises ``SpecError`` naming ``state.<key>``."""
    try:
        trainer.epoch = int(state.get("epoch", 0))
        trainer.samples_seen = int(state.get("samples_seen", 0))
        rng = state.get("rng")
        if rng is not None:
            trainer.rng.bit_generator.state = {
                "bit_generator": rng["bit_generator"],
                "state": {"state": int(rng["state"]), "inc": int(rng["inc"])},
                "has_uint32": int(rng["has_uint32"]),
                "uinteger": int(rng["uinteger"]),
            }
        vel = state.get("velocity")
        if vel is not None:
            trainer.velocity = params_from_lists(
                trainer.spec, vel["weights"], vel["biases"], "state.velocity"
            )
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        if isinstance(exc, SpecError):
            raise
        raise SpecError("state", f"is not a valid trainer state ({exc})") from None
    if "probe_index" in state:
        trainer.set_probe(state["probe_index"], "state.probe_index")
    trainer.last = None
