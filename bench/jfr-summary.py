#!/usr/bin/env python3
"""Summarises a JFR recording's CPU samples (jdk.ExecutionSample): where the JVM's time goes, by component.

    python3 bench/jfr-summary.py FILE.jfr [TOP]

Prints, for each component (Jackson, Hibernate Validator, Netty, the PostgreSQL client, ...), the share of samples
whose stack contains it anywhere (inclusive, so shares overlap), then the top frames by self time.
"""
import collections
import re
import subprocess
import sys

COMPONENTS = [
    ("Jackson", "com.fasterxml.jackson."),
    ("Hibernate Validator", "org.hibernate.validator."),
    ("Netty", "io.netty."),
    ("Vert.x PG client", "io.vertx.pgclient."),
    ("Vert.x SQL client", "io.vertx.sqlclient."),
    ("Vert.x core", "io.vertx.core."),
    ("Quarkus REST", "org.jboss.resteasy.reactive."),
    ("Mutiny", "io.smallrye.mutiny."),
    ("Micrometer", "io.micrometer."),
    ("Kafka client", "org.apache.kafka."),
    ("SmallRye messaging", "io.smallrye.reactive.messaging."),
    ("JDK crypto (HMAC, SHA-256)", "sun.security.provider.", "com.sun.crypto.provider.", "javax.crypto."),
    ("Sluice: event/", "io.sluice.event."),
    ("Sluice: ingest/", "io.sluice.ingest."),
    ("Sluice: bronze/", "io.sluice.bronze."),
    ("Sluice: webhook/", "io.sluice.webhook."),
    ("Sluice: kafka/", "io.sluice.kafka."),
    ("Sluice: promotion/", "io.sluice.promotion."),
    ("Sluice: silver/ gold/", "io.sluice.silver.", "io.sluice.gold."),
    ("GC and JIT (no Java frame)", None),
]


def samples(path):
    out = subprocess.run(["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "64", path],
                         capture_output=True, text=True, check=True).stdout
    for block in out.split("jdk.ExecutionSample")[1:]:
        yield re.findall(r"^\s+([\w$.<>]+)\(", block, re.M)


def main():
    path, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
    inclusive, self_time, total = collections.Counter(), collections.Counter(), 0
    for frames in samples(path):
        total += 1
        if frames:
            self_time[frames[0]] += 1
        for name, *prefixes in COMPONENTS:
            if prefixes == [None]:
                if not frames:
                    inclusive[name] += 1
            elif any(f.startswith(p) for f in frames for p in prefixes):
                inclusive[name] += 1
    print(f"{total} CPU samples in {path}")
    for name, *_ in COMPONENTS:
        if inclusive[name]:
            print(f"  {100 * inclusive[name] / total:5.1f} %  {name}")
    print("top frames by self time:")
    for frame, n in self_time.most_common(top):
        print(f"  {100 * n / total:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
