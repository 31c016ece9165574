"""SQLAlchemy implementations of the core's storage ports."""

from storage.repos.accounts import SqlAccountRepo
from storage.repos.connect_states import SqlConnectStateRepo
from storage.repos.dedupe import SqlEventDedupe
from storage.repos.factory import Repos, build_repos
from storage.repos.meetings import SqlMeetingRepo

__all__ = [
    "Repos",
    "SqlAccountRepo",
    "SqlConnectStateRepo",
    "SqlEventDedupe",
    "SqlMeetingRepo",
    "build_repos",
]
