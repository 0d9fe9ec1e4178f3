"""The request limiter on a fake clock, the batch chunking it drives, and the retry
policy's count of its waits."""

from __future__ import annotations

import pickle
import threading
from dataclasses import dataclass

import pytest

from connectors.batching import chunks
from connectors.limits import Quota, Rate, RequestLimits, SlidingWindow, Waits
from connectors.retry import RetryPolicy
from connectors.settings import GoogleLimits, MicrosoftLimits
from core.errors import RetriableError, SourceError, ThrottledError


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def limits(quota: Quota, clock: FakeClock) -> RequestLimits:
    return RequestLimits(quota, Waits(), clock=clock, sleep=clock.sleep)


def admit(limiter: RequestLimits, *keys: str) -> None:
    with limiter.admitted(list(keys)):
        pass


def test_a_burst_up_to_the_quota_goes_at_once_and_the_next_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = limits(Quota(project=Rate(3, 60)), clock)  # 3 a minute, on a sliding window
    for _ in range(3):
        admit(limiter, "a@x")
    assert clock.slept == []
    clock.now += 10
    admit(limiter, "a@x")  # the first left the window 60 s after it was sent
    assert clock.slept == [50.0]
    admit(limiter, "a@x")  # at 60 the three sent at 0 have all left the window
    assert clock.slept == [50.0]
    assert limiter.waits.limits_s == pytest.approx(50.0)


def test_each_calendar_has_a_window_of_its_own() -> None:
    clock = FakeClock()
    limiter = limits(Quota(per_key=Rate(1, 1)), clock)
    admit(limiter, "a@x")
    admit(limiter, "b@x")  # another calendar's window is empty
    assert clock.slept == []
    admit(limiter, "a@x")
    assert clock.slept == [1.0]


def test_every_inner_request_of_a_batch_counts_against_its_calendar_and_the_project() -> None:
    clock = FakeClock()
    limiter = limits(Quota(project=Rate(100, 1), per_key=Rate(1, 1)), clock)
    admit(limiter, *["a@x"] * 5)  # larger than a's quota: it goes through, alone
    assert clock.slept == []
    admit(limiter, "a@x")  # once the batch has left a's window
    assert clock.slept == [1.0]
    admit(limiter, *[f"{n}@x" for n in range(150)])  # 150 calendars, 100 a second
    assert clock.slept == [1.0, 1.0]


def test_a_sliding_window_never_holds_more_than_its_quota() -> None:
    window, now, sent = SlidingWindow(Rate(10, 60)), 0.0, []
    for step in range(200):
        now += (step * 7919 % 13) / 2  # uneven gaps, some of them none
        count = 1 + step % 4
        at = window.earliest(count, now)
        window.add(count, at)
        sent.append((at, count))
    for start, _ in sent:
        assert sum(c for at, c in sent if start <= at < start + 60) <= 10
    assert [at for at, _ in sent] == sorted(at for at, _ in sent)


def test_throttling_halves_the_rates_once_a_moment_and_they_recover_additively() -> None:
    clock = FakeClock()
    limiter = limits(Quota(project=Rate(10, 1), concurrent_per_key=4), clock)
    limiter.throttled(None, None)
    limiter.throttled("a@x", None)  # the same moment: one slow-down
    assert limiter.slowdown == 0.5 and limiter.concurrent_per_key() == 2
    clock.now += 1.5
    limiter.throttled("a@x", None)
    assert limiter.slowdown == 0.25 and limiter.concurrent_per_key() == 1
    clock.now += 10
    assert limiter.slowdown == pytest.approx(0.35)
    clock.now += 100
    assert limiter.slowdown == 1.0 and limiter.concurrent_per_key() == 4


def test_a_slowed_down_window_admits_a_smaller_share_of_the_quota() -> None:
    clock = FakeClock()
    limiter = limits(Quota(project=Rate(4, 10)), clock)
    admit(limiter)
    admit(limiter)
    limiter.throttled(None, None)  # 2 per 10 s now: the window is full
    admit(limiter)
    assert clock.slept == [10.0]


def test_retry_after_holds_back_other_threads_but_not_the_throttled_one() -> None:
    clock = FakeClock()
    limiter = limits(Quota(), clock)
    elsewhere = threading.Thread(target=limiter.throttled, args=("a@x", 2.0))
    elsewhere.start()
    elsewhere.join()
    admit(limiter, "b@x")
    assert clock.slept == []
    admit(limiter, "a@x")
    assert clock.slept == [2.0]
    limiter.throttled("c@x", 3.0)  # this thread waits in its retry policy instead
    admit(limiter, "c@x")
    assert clock.slept == [2.0]


def test_a_throttled_batch_holds_back_the_whole_provider() -> None:
    clock = FakeClock()
    limiter = limits(Quota(), clock)
    elsewhere = threading.Thread(target=limiter.throttled, args=(None, 1.5))
    elsewhere.start()
    elsewhere.join()
    admit(limiter, "anyone@x")
    assert clock.slept == [1.5]


def test_call_reports_a_throttled_answer_and_raises_it() -> None:
    clock = FakeClock()
    limiter = limits(Quota(project=Rate(10, 1)), clock)

    def refused() -> None:
        raise ThrottledError("429", 1.0)

    with pytest.raises(ThrottledError):
        limiter.call("a@x", refused)
    assert limiter.slowdown == 0.5
    with pytest.raises(RetriableError):
        limiter.call("a@x", lambda: (_ for _ in ()).throw(RetriableError("503")))
    assert limiter.slowdown == 0.5  # a server error is not throttling


def test_no_more_than_the_bound_of_one_mailbox_is_in_flight_at_once() -> None:
    limiter = RequestLimits(Quota(concurrent_per_key=2))
    in_flight, peak, lock = [0], [0], threading.Lock()
    start = threading.Barrier(6)

    def request() -> None:
        start.wait()
        with limiter.admitted(["a@x"]):
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            threading.Event().wait(0.02)  # stay in flight so the others pile up
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2
    assert limiter.waits.limits_s > 0


def test_a_batch_larger_than_the_bound_waits_for_an_idle_mailbox_instead_of_deadlocking() -> None:
    limiter = RequestLimits(Quota(concurrent_per_key=2))
    with limiter.admitted(["a@x", "a@x", "a@x"]):
        assert limiter.concurrent_per_key() == 2
    with limiter.admitted(["a@x", "a@x"]):
        pass


def test_limits_pickle_with_their_settings_and_start_afresh() -> None:
    clock = FakeClock()
    limiter = RequestLimits(Quota(project=Rate(10, 1), concurrent_per_key=4), Waits())
    limiter.waits.on_limits(1.5)
    limiter.throttled(None, None)
    copy = pickle.loads(pickle.dumps(limiter))
    assert copy.quota == limiter.quota and copy.waits.limits_s == 1.5
    assert copy.slowdown == 1.0  # a fresh limiter: per process
    with copy.admitted(["a@x"]):
        copy.waits.on_retries(0.5)
    assert copy.waits.retries_s == 0.5 and clock.slept == []


def test_the_documented_quotas_are_the_defaults() -> None:
    google, microsoft = GoogleLimits().quota, MicrosoftLimits().quota
    assert (google.project, google.per_key) == (Rate(10_000, 60), Rate(600, 60))
    assert (GoogleLimits().batch_size, MicrosoftLimits().batch_size) == (50, 20)
    assert microsoft.concurrent_per_key == 4
    assert microsoft.per_key == Rate(10_000, 600) and microsoft.project is None


@dataclass
class Job:
    email: str
    error: SourceError | None = None
    pending: bool = True


def test_chunks_keep_to_the_batch_size_and_the_bound_per_calendar() -> None:
    jobs = [Job(e) for e in ("a", "a", "a", "b", "a", "c", "d")]
    found = [[job.email for job in chunk] for chunk in chunks(jobs, 3, 2)]
    assert found == [["a", "a", "b"], ["a", "a", "c"], ["d"]]


def test_the_retry_policy_counts_the_seconds_it_waits() -> None:
    waits, tries = Waits(), iter([RetriableError("503", 0.5), ThrottledError("429", 1.25)])

    def flaky() -> str:
        error = next(tries, None)
        if error is not None:
            raise error
        return "ok"

    policy = RetryPolicy(sleep=lambda _: None, waits=waits)
    assert policy.call(flaky) == "ok"
    assert waits.retries_s == pytest.approx(1.75) and waits.limits_s == 0
