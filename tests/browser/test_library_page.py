"""Issue 18's lesson library on the teacher's home (/teach), as a teacher uses it: a starter
activity taken with the keyboard, then per lesson duplicate, export (a downloaded file),
import of that file, a share link opened and copied, and delete — every button labelled,
no page error."""

from __future__ import annotations

import json

import pytest

from tests.browser import test_classroom_page as classroom
from tests.browser.test_classroom_page import api, login, person, until

classroom_server = classroom.classroom_server  # its server and teacher (a fixture), shared

pytestmark = pytest.mark.browser


def titles(page) -> list[str]:
    return [x["title"] for x in api(page, "GET", "/api/lessons")["json"]["lessons"]]


def test_the_library_buttons_on_the_teach_page(classroom_server, browser, tmp_path):
    url = classroom_server.url.rstrip("/")
    ctx, page = person(browser)
    login(page, url)
    use = page.locator('[data-use-starter="2-backward-pass"]')
    use.wait_for()
    assert use.get_attribute("aria-label").startswith("use this: Starter 2")
    use.focus()
    page.keyboard.press("Enter")  # keyboard-usable: a real button
    until(page, "document.getElementById('lessons').textContent.includes('Starter 2')")
    lesson = next(x for x in api(page, "GET", "/api/lessons")["json"]["lessons"] if x["steps"])
    lid = lesson["id"]
    for action in ("duplicate", "export", "share", "delete"):
        button = page.locator(f'[data-{action}-lesson="{lid}"]')
        assert button.get_attribute("aria-label").endswith(lesson["title"]), action

    page.click(f'[data-duplicate-lesson="{lid}"]')
    until(page, "document.getElementById('lessons').textContent.includes('(copy)')")

    with page.expect_download() as info:
        page.click(f'[data-export-lesson="{lid}"]')
    download = info.value
    assert download.suggested_filename.endswith(".json")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = json.loads(saved.read_text())
    assert data["format"] == "backprop-playground/lesson" and len(data["lesson"]["steps"]) == 6

    before = len(titles(page))
    page.set_input_files("#lesson-import", str(saved))
    until(page, "document.getElementById('library-status').textContent.startsWith('Imported')")
    assert len(titles(page)) == before + 1

    page.click(f'[data-share-lesson="{lid}"]')
    box = page.locator(f'[data-share-url="{lid}"]')
    box.wait_for()
    link = box.input_value()
    assert "/teach/shared/" in link
    page.goto(link)
    page.locator("#shared-copy:not([disabled])").wait_for()
    assert "Starter 2" in page.text_content("#shared-what")
    page.click("#shared-copy")
    page.wait_for_url("**/teach")
    assert len(titles(page)) == before + 2

    page.locator(f'[data-delete-lesson="{lid}"]').click()  # the confirm is accepted
    until(page, f"!document.querySelector('[data-delete-lesson=\"{lid}\"]')")
    assert lid not in [x["id"] for x in api(page, "GET", "/api/lessons")["json"]["lessons"]]
    assert page.errors == []
    ctx.close()
