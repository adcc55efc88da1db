"""The Tasks panel on the request page and its routes, the dashboard's internal dates, and who may do what
(issue 19): other organizations get 404, people who may only read the request get 403, forms need CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from foia.core.clock import local_today, utcnow
from foia.models import AuditLog, Task
from foia.tasks.service import TaskInput, add_task
from tests.conftest import NOW, csrf_token


def _add_form(client, ref: str, **fields) -> dict[str, str]:
    data = {"csrf_token": csrf_token(client, f"/requests/{ref}"), "title": "Chase ICE by phone", "mode": "date",
            "due": "2026-02-03"}
    data.update(fields)
    return data


def _task(session, req, user, title="Review the 400 pages", due=None):
    task = add_task(session, actor=user, now=NOW, req=req,
                    data=TaskInput(title=title, assignee_id=user.id, due=(due or local_today(utcnow())).isoformat()))
    session.commit()
    return task


def test_staff_add_a_task_from_the_request_page_and_see_it_marked_internal(login_as, world, session):
    req, clerk = world["requests"][("staff", "private")], world["users"]["staff"]
    client = login_as("staff")
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert 'id="tasks"' in page and "No tasks yet." in page and 'name="assignee_id"' in page
    resp = client.post(f"/requests/{req.ref}/tasks", data=_add_form(client, req.ref, assignee_id=str(clerk.id)))
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/requests/{req.ref}#tasks")
    task = session.scalar(select(Task))
    assert (task.title, task.assignee_id, task.due.isoformat(), task.created_by_id) == (
        "Chase ICE by phone", clerk.id, "2026-02-03", clerk.id)
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    row = re.search(rf'<tr id="task-{task.id}".*?</tr>', page, re.S).group(0)
    assert "Chase ICE by phone" in row and '<span class="usa-tag task-internal-tag">Internal</span>' in row
    assert 'datetime="2026-02-03"' in row
    # the statutory deadlines keep their own table, with citations, and no "Internal" tag
    deadlines = page.split('id="deadlines"')[1].split("</section>")[0]
    assert "task-internal-tag" not in deadlines
    history = client.get(f"/requests/{req.ref}/history").get_data(as_text=True)
    assert "Added the task \u201cChase ICE by phone\u201d" in history


def test_complete_reopen_and_delete_through_the_panel(login_as, world, session):
    req, clerk = world["requests"][("staff", "private")], world["users"]["staff"]
    task = _task(session, req, clerk)
    client = login_as("staff")
    token = csrf_token(client, f"/requests/{req.ref}")
    assert client.post(f"/requests/{req.ref}/tasks/{task.id}/done", data={"csrf_token": token}).status_code == 303
    session.expire_all()
    assert session.get(Task, task.id).done_by_id == clerk.id
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    assert "Reopen<span" in page and f"by {clerk.name}" in page
    assert client.post(f"/requests/{req.ref}/tasks/{task.id}/reopen", data={"csrf_token": token}).status_code == 303
    session.expire_all()
    assert session.get(Task, task.id).done_at is None
    # a task of another request is not reachable through this one
    other = world["requests"][("staff", "organization")]
    assert client.post(f"/requests/{other.ref}/tasks/{task.id}/delete", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/requests/{req.ref}/tasks/{task.id}/delete", data={"csrf_token": token}).status_code == 303
    assert session.scalar(select(func.count(Task.id))) == 0
    actions = list(session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "tasks").order_by(AuditLog.id)))
    assert actions == ["task:add", "task:done", "task:reopen", "task:delete"]
    history = client.get(f"/requests/{req.ref}/history").get_data(as_text=True)
    assert "Marked the task \u201cReview the 400 pages\u201d done" in history
    assert "Deleted the task \u201cReview the 400 pages\u201d" in history


def test_forms_need_their_csrf_token(login_as, world, session):
    req, clerk = world["requests"][("staff", "private")], world["users"]["staff"]
    client = login_as("staff")
    resp = client.post(f"/requests/{req.ref}/tasks", data={"title": "No token", "mode": "date", "due": "2026-02-03",
                                                           "assignee_id": str(clerk.id)})
    assert resp.status_code == 400
    task = _task(session, req, clerk)
    assert client.post(f"/requests/{req.ref}/tasks/{task.id}/done").status_code == 400
    session.expire_all()
    assert session.scalar(select(func.count(Task.id))) == 1 and session.get(Task, task.id).done_at is None


def test_a_bad_assignee_is_refused_with_a_clear_message(login_as, world, session):
    req = world["requests"][("staff", "private")]
    client = login_as("staff")
    outsider = world["users"]["news_staff"]
    resp = client.post(f"/requests/{req.ref}/tasks", data=_add_form(client, req.ref, assignee_id=str(outsider.id)),
                       follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert "The task was not added: Tasks can only be assigned to people in City of Los Angeles." in body
    assert session.scalar(select(func.count(Task.id))) == 0


def test_other_organizations_get_404_and_readers_403(login_as, world, session):
    users, reqs = world["users"], world["requests"]
    public = reqs[("staff", "public")]  # every signed-in user may read it; its tasks stay with the city
    task = _task(session, public, users["staff"], title="City-only work")
    shared = reqs[("reporter", "organization")]
    shared_task = _task(session, shared, users["reporter"], title="Newsroom work")

    client = login_as("news_staff")
    page = client.get(f"/requests/{public.ref}").get_data(as_text=True)
    assert "City-only work" not in page and 'id="tasks"' not in page
    token = csrf_token(client, f"/requests/{public.ref}")
    assert client.post(f"/requests/{public.ref}/tasks", data={"csrf_token": token, "title": "x", "mode": "date",
                                                              "due": "2026-02-03"}).status_code == 404
    for action in ("done", "reopen", "delete"):
        assert client.post(f"/requests/{public.ref}/tasks/{task.id}/{action}",
                           data={"csrf_token": token}).status_code == 404
    private = reqs[("staff", "private")]
    assert client.post(f"/requests/{private.ref}/tasks", data={"csrf_token": token}).status_code == 404
    client.post("/logout", data={"csrf_token": token})

    client = login_as("colleague")  # same newsroom, may read the shared request, may not edit it
    page = client.get(f"/requests/{shared.ref}").get_data(as_text=True)
    assert "Newsroom work" in page and 'name="assignee_id"' not in page and "Mark done" not in page
    token = csrf_token(client, f"/requests/{shared.ref}")
    assert client.post(f"/requests/{shared.ref}/tasks/{shared_task.id}/done",
                       data={"csrf_token": token}).status_code == 403
    assert client.post(f"/requests/{shared.ref}/tasks", data={"csrf_token": token, "title": "x", "mode": "date",
                                                              "due": "2026-02-03"}).status_code == 403
    session.expire_all()
    assert session.get(Task, shared_task.id).done_at is None
    assert session.scalar(select(func.count(Task.id))) == 2


def test_dashboard_lists_my_open_tasks_marked_internal(login_as, world, session):
    users, reqs = world["users"], world["requests"]
    today = local_today(utcnow())
    mine = _task(session, reqs[("staff", "private")], users["staff"], title="Chase ICE by phone",
                 due=today + timedelta(days=1))
    late = _task(session, reqs[("staff", "organization")], users["staff"], title="Overdue review",
                 due=today - timedelta(days=3))
    _task(session, reqs[("staff", "private")], users["staff"], title="Far away", due=today + timedelta(days=60))
    _task(session, reqs[("staff", "private")], users["admin"], title="Someone else's")
    done = _task(session, reqs[("staff", "private")], users["staff"], title="Already done")
    done.done_at = NOW
    session.commit()
    client = login_as("staff")
    page = client.get("/dashboard").get_data(as_text=True)
    section = page.split('id="tasks-heading"')[1].split("</section>")[0]
    assert "Internal dates: your tasks" in section and '<span class="count">(2)</span>' in section
    assert section.count('<span class="usa-tag task-internal-tag">Internal</span>') == 2
    assert section.index("Overdue review") < section.index("Chase ICE by phone")  # soonest (most overdue) first
    assert "Internal date passed 3 days ago" in section
    assert "Far away" not in section and "Someone else's" not in section and "Already done" not in section
    assert f"#task-{mine.id}" in section and f"#task-{late.id}" in section
    # statutory sections carry no "Internal" tag
    assert "task-internal-tag" not in page.split('id="tasks-heading"')[0]


def test_a_date_relative_to_the_response_deadline_from_the_form(login_as, world, session):
    from datetime import date

    from tests.reminders.conftest import send_request

    req, clerk = world["requests"][("staff", "private")], world["users"]["staff"]
    client = login_as("staff")
    resp = client.post(f"/requests/{req.ref}/tasks", data=_add_form(
        client, req.ref, assignee_id=str(clerk.id), mode="relative", days="5", unit="working", direction="before",
        clock="response", due=""), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Task added: Chase ICE by phone." in page
    assert "Determination due has no date yet, so neither has this task." in page  # a draft: no clock yet
    send_request(session, req, clerk, date(2026, 6, 1))  # determination due Tue 2026-06-30
    page = client.get(f"/requests/{req.ref}").get_data(as_text=True)
    row = page.split('class="task-row')[1].split("</tr>")[0]
    assert 'datetime="2026-06-23"' in row and "5 working days before Determination due" in row
    assert "Internal" in row
