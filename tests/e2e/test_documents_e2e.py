"""Documents on a real gunicorn server: racing writers, and the ``tincan`` client."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from tincan import (
    Activity,
    ActivityProfileDocument,
    Agent,
    AgentAccount,
    AgentProfileDocument,
    HTTPRequest,
    LRSResponse,
    RemoteLRS,
    StateDocument,
)

from tests.e2e.conftest import LiveServer
from tests.statements import MOODLE_HOME

RACERS = 8
ACTIVITY_ID = f"{MOODLE_HOME}/mod/scorm/view.php?id=12"
PROFILE_PATH = "/activities/profile"


def request(
    server: LiveServer,
    method: str,
    path: str,
    params: dict[str, str],
    body: bytes | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection: status, headers (lowercase names) and body."""
    url = urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    auth = base64.b64encode(f"{server.key}:{server.secret}".encode()).decode()
    all_headers = {
        "Authorization": f"Basic {auth}",
        "X-Experience-API-Version": "2.0.0",
        "Content-Type": "application/json",
        **(headers or {}),
    }
    try:
        connection.request(
            method, f"{url.path}{path}?{urlencode(params)}", body=body, headers=all_headers
        )
        response = connection.getresponse()
        content = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content
    finally:
        connection.close()


def profile_params() -> dict[str, str]:
    return {"activityId": ACTIVITY_ID, "profileId": f"race-{uuid.uuid4()}"}


# --- racing writers ------------------------------------------------------------------------


def test_racing_if_match_writers_exactly_one_wins_and_its_content_is_kept(
    live_server: LiveServer,
) -> None:
    """Communication 3.1: N clients read one ETag and PUT with If-Match at the same moment."""
    params = profile_params()
    status, _, _ = request(
        live_server,
        "PUT",
        PROFILE_PATH,
        params,
        b'{"writer": "none"}',
        headers={"If-None-Match": "*"},
    )
    assert status == 204
    start = threading.Barrier(RACERS)
    results: dict[int, int] = {}

    def race(racer: int) -> None:
        _, headers, _ = request(live_server, "GET", PROFILE_PATH, params)
        body = json.dumps({"writer": racer, "filler": "x" * 1000}).encode()
        start.wait()
        status, _, _ = request(
            live_server, "PUT", PROFILE_PATH, params, body, headers={"If-Match": headers["etag"]}
        )
        results[racer] = status

    threads = [threading.Thread(target=race, args=(racer,)) for racer in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [racer for racer, status in results.items() if status == 204]
    assert len(winners) == 1, results
    assert sorted(results.values()) == [204] + [412] * (RACERS - 1)
    status, _, content = request(live_server, "GET", PROFILE_PATH, params)
    assert status == 200
    assert json.loads(content) == {"writer": winners[0], "filler": "x" * 1000}


def test_racing_merges_lose_no_property(live_server: LiveServer) -> None:
    """Concurrent POSTs merge one after another: every racer's property survives."""
    params = profile_params()
    start = threading.Barrier(RACERS)
    results: list[int] = []

    def merge(racer: int) -> None:
        start.wait()
        status, _, _ = request(
            live_server, "POST", PROFILE_PATH, params, json.dumps({f"r{racer}": racer}).encode()
        )
        results.append(status)

    threads = [threading.Thread(target=merge, args=(racer,)) for racer in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [204] * RACERS
    _, _, content = request(live_server, "GET", PROFILE_PATH, params)
    assert json.loads(content) == {f"r{racer}": racer for racer in range(RACERS)}


# --- the tincan client ---------------------------------------------------------------------


class ConditionalRemoteLRS(RemoteLRS):
    """tincan 1.0.0's RemoteLRS with the one header it never sends.

    xAPI 1.0.3 Communication 3.1 says a client creating a profile document "MUST include the
    If-Match header or the If-None-Match header", and the LRS refuses one without either
    (400), as the conformance suite checks. tincan only ever sends If-Match, so a profile PUT
    without an ETag gets ``If-None-Match: *`` here: "create it, unless it exists".
    """

    def _send_request(self, request: HTTPRequest) -> LRSResponse:
        if (
            request.method == "PUT"
            and request.resource.endswith("profile")
            and "If-Match" not in request.headers
        ):
            request.headers["If-None-Match"] = "*"
        return super()._send_request(request)


def remote_lrs(server: LiveServer) -> ConditionalRemoteLRS:
    return ConditionalRemoteLRS(
        version="1.0.3", endpoint=server.endpoint + "/", username=server.key, password=server.secret
    )


def learner() -> Agent:
    return Agent(
        name="ASN 198503302010121002",
        account=AgentAccount(home_page=MOODLE_HOME, name="198503302010121002"),
    )


def etag_of(response: LRSResponse) -> str:
    """tincan looks the ETag up in a list of header pairs and never finds it; read it here."""
    value: str = response.response.getheader("ETag")
    return value


def test_tincan_saves_retrieves_lists_and_deletes_state(live_server: LiveServer) -> None:
    lrs = remote_lrs(live_server)
    module = Activity(id=ACTIVITY_ID)
    bookmark = StateDocument(
        activity=module,
        agent=learner(),
        id="bookmark",
        content=json.dumps({"page": 7}),
        content_type="application/json",
    )
    saved = lrs.save_state(bookmark)
    assert saved.success, saved.data

    retrieved = lrs.retrieve_state(module, learner(), "bookmark")
    assert retrieved.success
    assert json.loads(bytes(retrieved.content.content)) == {"page": 7}

    suspend = StateDocument(
        activity=module, agent=learner(), id="suspend_data", content="cmi.suspend=1"
    )
    assert lrs.save_state(suspend).success
    ids = lrs.retrieve_state_ids(module, learner())
    assert ids.success
    assert sorted(ids.content) == ["bookmark", "suspend_data"]

    bookmark.etag = etag_of(retrieved)
    assert lrs.delete_state(bookmark).success
    gone = lrs.retrieve_state(module, learner(), "bookmark")
    assert gone.response.status == 404
    assert lrs.clear_state(module, learner()).success
    assert lrs.retrieve_state_ids(module, learner()).content == []


def test_tincan_saves_updates_lists_and_deletes_activity_profiles(
    live_server: LiveServer,
) -> None:
    lrs = remote_lrs(live_server)
    module = Activity(id=ACTIVITY_ID)
    profile = ActivityProfileDocument(
        activity=module,
        id="jp-policy",
        content=json.dumps({"jp": 2}),
        content_type="application/json",
    )
    assert lrs.save_activity_profile(profile).success
    assert not lrs.save_activity_profile(profile).success  # exists: If-None-Match fails

    retrieved = lrs.retrieve_activity_profile(module, "jp-policy")
    assert json.loads(bytes(retrieved.content.content)) == {"jp": 2}
    profile.etag = etag_of(retrieved)
    profile.content = json.dumps({"jp": 3})
    assert lrs.save_activity_profile(profile).success
    stale = lrs.save_activity_profile(profile)  # the ETag no longer matches
    assert stale.response.status == 412

    assert lrs.retrieve_activity_profile_ids(module).content == ["jp-policy"]
    profile.etag = etag_of(lrs.retrieve_activity_profile(module, "jp-policy"))
    assert lrs.delete_activity_profile(profile).success
    assert lrs.retrieve_activity_profile_ids(module).content == []


def test_tincan_saves_retrieves_lists_and_deletes_agent_profiles(
    live_server: LiveServer,
) -> None:
    lrs = remote_lrs(live_server)
    profile = AgentProfileDocument(
        agent=learner(),
        id="preferences",
        content=json.dumps({"language": "id-ID"}),
        content_type="application/json",
    )
    assert lrs.save_agent_profile(profile).success

    retrieved = lrs.retrieve_agent_profile(learner(), "preferences")
    assert retrieved.success
    assert json.loads(bytes(retrieved.content.content)) == {"language": "id-ID"}
    listed = lrs.retrieve_agent_profile_ids(learner(), since="2000-01-01T00:00:00Z")
    assert listed.content == ["preferences"]

    profile.etag = etag_of(retrieved)
    assert lrs.delete_agent_profile(profile).success
    gone = lrs.retrieve_agent_profile(learner(), "preferences")
    assert gone.response.status == 404


def test_activities_and_agents_answer_over_http(live_server: LiveServer) -> None:
    """tincan 1.0.0 has no call for these two resources, so plain GETs stand in."""
    status, _, content = request(live_server, "GET", "/activities", {"activityId": ACTIVITY_ID})
    assert status == 200
    assert json.loads(content) == {"objectType": "Activity", "id": ACTIVITY_ID}
    who = learner().to_json("1.0.3")
    status, _, content = request(live_server, "GET", "/agents", {"agent": who})
    assert status == 200
    person: dict[str, Any] = json.loads(content)
    assert person["objectType"] == "Person"
    assert person["account"] == [{"homePage": MOODLE_HOME, "name": "198503302010121002"}]
