"""The certbot loop's arithmetic and its report, kept apart so they can be tested.

    renewal.py schedule CERT               prints `renew_at not_after` (Unix seconds)
    renewal.py export FILE SUCCESS [CERT]  writes the node-exporter textfile FILE

A certificate is renewed once a third of its lifetime is left, whatever that lifetime is:
Let's Encrypt's 90 days (renewed at 30 left), 64 days, 6 days, or a test CA's minutes.
"""

import os
import sys
import time

from cryptography import x509

PREFIX = "stackproof_certificate"


def validity(pem):
    """(not_before, not_after) of the first certificate in `pem`, as Unix seconds."""
    cert = x509.load_pem_x509_certificate(pem)
    return cert.not_valid_before_utc.timestamp(), cert.not_valid_after_utc.timestamp()


def renew_at(not_before, not_after):
    """When a third of the lifetime is left."""
    return not_after - (not_after - not_before) / 3


def previous_success(path):
    """The last-success time an earlier export wrote, or 0."""
    try:
        with open(path) as old:
            for line in old:
                if line.startswith(f"{PREFIX}_renewal_last_success_timestamp_seconds "):
                    return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def export(path, success, cert_pem=None, now=None):
    """Writes the metrics of one attempt to `path`, by rename (node-exporter never reads half)."""
    now = time.time() if now is None else now
    last_success = now if success else previous_success(path)
    lines = [
        ("renewal_last_run_success", "1 if the last obtain or renewal attempt succeeded, else 0.", int(success)),
        ("renewal_last_run_timestamp_seconds", "When the last attempt ended.", now),
        ("renewal_last_success_timestamp_seconds", "When an attempt last succeeded (0: never).", last_success),
    ]
    if cert_pem:
        not_before, not_after = validity(cert_pem)
        lines.append(("not_after_timestamp_seconds", "When the certificate expires.", not_after))
        lines.append(("renew_at_timestamp_seconds", "When it is renewed: a third of its life left.",
                      renew_at(not_before, not_after)))
    text = "".join(
        f"# HELP {PREFIX}_{name} {help_}\n# TYPE {PREFIX}_{name} gauge\n{PREFIX}_{name} {value}\n"
        for name, help_, value in lines
    )
    new = f"{path}.{os.getpid()}"
    with open(new, "w") as out:
        out.write(text)
    os.chmod(new, 0o644)
    os.replace(new, path)


def main(argv):
    if len(argv) == 3 and argv[1] == "schedule":
        with open(argv[2], "rb") as cert:
            not_before, not_after = validity(cert.read())
        print(f"{renew_at(not_before, not_after):.0f} {not_after:.0f}")
        return 0
    if len(argv) in (4, 5) and argv[1] == "export":
        pem = None
        if len(argv) == 5 and os.path.exists(argv[4]):
            with open(argv[4], "rb") as cert:
                pem = cert.read()
        export(argv[2], argv[3] == "1", pem)
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
