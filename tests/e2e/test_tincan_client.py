"""A real xAPI client (the ``tincan`` package's RemoteLRS) against a real gunicorn server."""

from __future__ import annotations

import uuid

from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    LanguageMap,
    RemoteLRS,
    Statement,
    StatementRef,
    Verb,
)

from tests.e2e.conftest import LiveServer
from tests.statements import COMPLETED, MOODLE_HOME, VOIDED


def remote_lrs(server: LiveServer, version: str = "1.0.3") -> RemoteLRS:
    return RemoteLRS(
        version=version, endpoint=server.endpoint + "/", username=server.key, password=server.secret
    )


def asn(nip: str) -> Agent:
    return Agent(name=f"ASN {nip}", account=AgentAccount(home_page=MOODLE_HOME, name=nip))


def completion(nip: str, module: int) -> Statement:
    return Statement(
        id=uuid.uuid4(),
        actor=asn(nip),
        verb=Verb(id=COMPLETED, display=LanguageMap({"en-US": "completed"})),
        object=Activity(
            id=f"{MOODLE_HOME}/mod/scorm/view.php?id={module}",
            definition=ActivityDefinition(name=LanguageMap({"id-ID": f"Modul {module}"})),
        ),
    )


def test_remote_lrs_saves_retrieves_queries_and_voids(live_server: LiveServer) -> None:
    lrs = remote_lrs(live_server)

    saved = lrs.save_statement(completion("198503302010121002", 1))
    assert saved.success, saved.data
    statement_id = str(saved.content.id)

    batch = [completion("199001012015032001", module) for module in (2, 3, 4)]
    saved_batch = lrs.save_statements(batch)
    assert saved_batch.success, saved_batch.data

    retrieved = lrs.retrieve_statement(statement_id)
    assert retrieved.success
    assert retrieved.content.actor.account.name == "198503302010121002"
    assert retrieved.content.stored is not None

    queried = lrs.query_statements({"agent": asn("199001012015032001"), "limit": 2})
    assert queried.success
    assert len(queried.content.statements) == 2
    assert queried.content.more
    rest = lrs.more_statements(queried.content)
    assert rest.success
    assert len(rest.content.statements) == 1

    void = Statement(
        actor=asn("admin"),
        verb=Verb(id=VOIDED, display=LanguageMap({"en-US": "voided"})),
        object=StatementRef(id=statement_id),
    )
    assert lrs.save_statement(void).success
    assert not lrs.retrieve_statement(statement_id).success
    voided = lrs.retrieve_voided_statement(statement_id)
    assert voided.success
    assert str(voided.content.id) == statement_id


def test_remote_lrs_with_a_wrong_secret_fails(live_server: LiveServer) -> None:
    lrs = RemoteLRS(
        version="1.0.3",
        endpoint=live_server.endpoint + "/",
        username=live_server.key,
        password="wrong",
    )
    response = lrs.save_statement(completion("198503302010121002", 1))
    assert not response.success
    assert response.response.status == 401
