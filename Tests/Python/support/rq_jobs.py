"""Jobs for the RQ worker test_rq.py runs against the server under test."""


def multiply(x, y):
    return x * y


def fail(message):
    raise ValueError(message)
