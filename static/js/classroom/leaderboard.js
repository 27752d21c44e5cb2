// The challenge's leaderboard on the teacher's dashboard: the best test losses, ten rows at most,
// read from GET /api/classrooms/{id}/leaderboard no more often than every BOARD_SECONDS (it asks
// every student's session); between reads its numbers follow the summaries, as the tiles do.
import { call, el } from "./http.js";

const BOARD_SECONDS = 6; // who is on the leaderboard: asks every student's session, not too often
const $ = (id) => document.getElementById(id);

export class Leaderboard {
  /** @param {{base: string, fail: Function, tiles: Map, room: Function, anonymous: Function, fmt: Function}} ctx */
  constructor(ctx) {
    this.ctx = ctx;
    this.board = null; // the last leaderboard read; its numbers follow the summaries, as the tiles do
    this.at = 0;
  }

  /** After each roster read: hidden without a challenge, else read again every BOARD_SECONDS. */
  update(room) {
    if (!(room.challenge && (room.challenge_active || room.leaderboard))) $("board").hidden = true;
    else if (Date.now() - this.at > BOARD_SECONDS * 1000) { this.at = Date.now(); this.load(); }
  }

  /** Read it again at the next roster read (the challenge started or stopped). */
  soon() {
    this.at = 0;
  }

  async load() {
    try {
      this.board = await call("GET", `${this.ctx.base}/leaderboard`);
      // the server's read may be a few seconds old: the tiles' own numbers are newer
      for (const r of this.board.rows) {
        const t = this.ctx.tiles.get(r.seat);
        if (t?.summary) Object.assign(r, boardNumbers(t.summary));
      }
      this.render();
    } catch (err) { this.ctx.fail(err); }
  }

  /** A summary moves its seat's row on the board at once (the same number as its tile). */
  follows(seatId, m) {
    const row = this.board?.rows.find((r) => r.seat === seatId);
    if (!row) return;
    Object.assign(row, boardNumbers(m));
    this.render(); // with the tile, in the same task: never a frame apart (ten rows at most)
  }

  render() {
    const room = this.ctx.room();
    if (!this.board || !(room?.challenge && (room.challenge_active || room.leaderboard))) return;
    const b = this.board;
    $("board").hidden = false;
    const c = b.challenge || {};
    const rule = `test loss < ${c.test_loss_below}${c.max_hidden_units != null ? ` with at most ${c.max_hidden_units} hidden units` : ""}`;
    $("board-title").textContent = `Challenge: ${c.title || rule}${b.active ? "" : " (stopped)"}`;
    $("board-title").title = rule;
    const rows = [...b.rows].sort((x, y) => (x.test_loss == null) - (y.test_loss == null) || (x.test_loss ?? 0) - (y.test_loss ?? 0));
    $("board-rows").replaceChildren(...rows.slice(0, 10).map((r) => {
      const met = r.met || (b.active && r.test_loss != null && r.test_loss < c.test_loss_below);
      const seat = this.ctx.tiles.get(r.seat)?.seat;
      const name = this.ctx.anonymous() && !room.hide_names ? (seat ? seat.label : "Student") : r.name;
      return el("li", { class: met ? "met" : "", "data-seat": r.seat },
        `${name}: `, el("span", { class: "v" }, this.ctx.fmt(r.test_loss)), ` (epoch ${r.epoch}, ${r.hidden_units} units)${met ? " ✓" : ""}`);
    }));
  }
}

function boardNumbers(m) {
  return { test_loss: m.loss.test ?? m.loss.train, epoch: m.epoch };
}
