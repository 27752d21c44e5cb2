// The dashboard's LMS grades (LTI Assignment and Grade Services): each learner launched from
// the course, their score (an activity's fraction right, or 1/0 for the challenge) and where posting it stands — posted,
// pending (being retried) or failed and why — with "Post grades". Hidden for a classroom that
// no LMS course links to.
import { boot, call, el, showError } from "../classroom/http.js";

const section = document.getElementById("lms-grades");
const rows = document.getElementById("lms-grades-rows");
const error = document.getElementById("lms-grades-error");
const url = `/api/lti/classrooms/${encodeURIComponent(boot().classroom_id)}/grades`;

function show(answer) {
  section.hidden = !answer.linked;
  rows.replaceChildren(
    ...answer.grades.map((g) =>
      el(
        "tr",
        { dataset: { status: g.status } },
        el("td", {}, g.name),
        el("td", {}, g.score == null ? "–" : String(g.score)),
        el("td", {}, el("span", { class: `pill ${g.status === "posted" ? "ok" : g.status === "pending" ? "waiting" : ""}` }, g.status)),
        el("td", { class: "why" }, g.error || ""),
      ),
    ),
  );
}

async function refresh() {
  try {
    show(await call("GET", url));
    showError(error, null);
  } catch (err) {
    showError(error, err);
  }
}

document.getElementById("lms-post").addEventListener("click", async () => {
  try {
    show(await call("POST", url));
    showError(error, null);
  } catch (err) {
    showError(error, err);
  }
});
document.getElementById("lms-refresh").addEventListener("click", refresh);
refresh();
