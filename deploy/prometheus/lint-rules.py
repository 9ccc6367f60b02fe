#!/usr/bin/env python3
"""Checks what promtool does not: alert metadata, runbook anchors, and test coverage.

usage: lint-rules.py RUNBOOKS_MD RULE_FILE... [--tests TEST_FILE...]

- every alert has a severity label (critical|warning|none) and the annotations summary,
  description (showing {{ $value }}) and runbook_url;
- runbook_url is RUNBOOK_BASE#anchor and docs/runbooks.md has a heading with that anchor;
- with --tests: every alert is expected firing somewhere and quiet (exp_alerts: []) somewhere;
  Watchdog is exempt from the quiet case because it is vector(1).
Exits 1 and prints one line per problem.
"""
import re
import sys

import yaml

RUNBOOK_BASE = "https://github.com/stackproof/stackproof/blob/main/docs/runbooks.md"
SEVERITIES = {"critical", "warning", "none"}
ALWAYS_FIRING = {"Watchdog"}


def anchors(markdown_path):
    """GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes."""
    with open(markdown_path, encoding="utf-8") as f:
        headings = re.findall(r"^#+\s+(.+?)\s*$", f.read(), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}


def alerts(rule_files):
    for path in rule_files:
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f).get("groups", []):
                for rule in group.get("rules", []):
                    if "alert" in rule:
                        yield path, rule


def rule_problems(path, rule, known_anchors):
    name, labels = rule["alert"], rule.get("labels") or {}
    notes = rule.get("annotations") or {}
    where = f"{path}: {name}:"
    if labels.get("severity") not in SEVERITIES:
        yield f"{where} severity label must be one of {sorted(SEVERITIES)}"
    for key in ("summary", "description", "runbook_url"):
        if not notes.get(key):
            yield f"{where} missing annotation {key}"
    if "$value" not in notes.get("description", ""):
        yield f"{where} description does not show {{{{ $value }}}}"
    url = notes.get("runbook_url", "")
    base, _, anchor = url.partition("#")
    if url and (base != RUNBOOK_BASE or anchor not in known_anchors):
        yield f"{where} runbook_url {url} has no section in the runbooks"


def coverage_problems(names, test_files):
    firing, quiet = set(), set()
    for path in test_files:
        with open(path, encoding="utf-8") as f:
            for test in yaml.safe_load(f).get("tests", []):
                for case in test.get("alert_rule_test", []):
                    (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    for name in sorted(names):
        if name not in firing:
            yield f"{name}: no test expects it firing"
        if name not in quiet and name not in ALWAYS_FIRING:
            yield f"{name}: no test expects it quiet (exp_alerts: [])"


def main(argv):
    if "--tests" in argv:
        split = argv.index("--tests")
        argv, test_files = argv[:split], argv[split + 1 :]
    else:
        test_files = None
    if len(argv) < 2:
        sys.exit(__doc__)
    known = anchors(argv[0])
    found = list(alerts(argv[1:]))
    problems = [p for path, rule in found for p in rule_problems(path, rule, known)]
    if test_files is not None:
        problems += coverage_problems({rule["alert"] for _, rule in found}, test_files)
    for problem in problems:
        print(f"lint-rules: {problem}")
    print(f"lint-rules: {len(found)} alerting rules checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
