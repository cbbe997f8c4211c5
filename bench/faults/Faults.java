import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import javax.crypto.Mac;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import javax.crypto.spec.SecretKeySpec;

/**
 * The fault suite (issue 10): each scenario runs the packaged Sluice under sustained signed-webhook load through the
 * real contract, injects one fault, lets the partner-like client retry every delivery until it is acknowledged (as
 * Standard Webhooks senders do), waits for promotion to go quiet, then reconciles what was sent and acknowledged
 * against silver, quarantine and gold ({@code gold.i3_differences}). Loopback only; bounded in time and count.
 * <p>
 * Scenarios that need Kafka send through {@link KafkaLoad} (a producer that resends what the broker did not
 * acknowledge); the broker restart runs on a broker of the suite's own ({@link Broker}, never the shared one).
 * <p>
 * Run by {@code bench/faults/run} (which sets the environment from dev/lib.sh): {@code java bench/faults/Faults.java
 * [--short] [--out FILE] [scenario ...]}. Exit status 1 when any scenario lost, doubled or mis-aggregated anything.
 */
public class Faults {

    static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    static final Path LOGS = Path.of("target", "faults");
    static final String SECRET = "whsec_" + Base64.getEncoder()
            .encodeToString(("faults-only-secret-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
    static final String DB = env("FAULTS_DB", "sluice_faults");
    static final String HOST = env("SLUICE_DB_HOST", "127.0.0.1");
    static final int SHARED_PORT = Integer.parseInt(env("SLUICE_DB_PORT", "5432"));
    /** The suite's own PostgreSQL cluster for the PostgreSQL faults (never the shared one). */
    static final int OWN_PORT = Integer.parseInt(env("FAULTS_PG_PORT", "5439"));
    static final String USER = env("SLUICE_DB_USER", "sluice");
    static final String PASSWORD = env("SLUICE_DB_PASSWORD", "sluice");
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    static boolean brief;
    static int basePort = Integer.parseInt(env("FAULTS_HTTP_PORT", "18360"));

    record Row(String scenario, long sent, long acknowledged, long inSilver, long duplicates, long lost,
            long quarantined, boolean goldOk, double recoverSeconds, double maxAnswerSeconds, long otherAnswers,
            String note) {

        /** The same counts with another time to recover, more unaccounted events, and a note. */
        Row with(double recover, long unaccounted, String note) {
            return new Row(scenario, sent, acknowledged, inSilver, duplicates, lost + unaccounted, quarantined, goldOk,
                    recover, maxAnswerSeconds, otherAnswers, note);
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> scenarios = new ArrayList<>();
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--short" -> brief = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> scenarios.add(args[i]);
            }
        }
        if (scenarios.isEmpty()) {
            scenarios = List.of("kill-9", "postgres-hung", "postgres-restart", "retry-storm", "sigterm-rolling",
                    "kafka-corpus", "broker-restart", "three-instances", "promoter-kill");
        }
        Files.createDirectories(LOGS);
        List<Row> rows = new ArrayList<>();
        for (String scenario : scenarios) {
            log("scenario " + scenario + (brief ? " (short form)" : ""));
            Row row = switch (scenario) {
                case "kill-9" -> kill9();
                case "postgres-hung" -> postgresHung();
                case "postgres-restart" -> postgresRestart();
                case "retry-storm" -> retryStorm();
                case "sigterm-rolling" -> sigtermRolling();
                case "kafka-corpus" -> kafkaCorpus();
                case "broker-restart" -> brokerRestart();
                case "three-instances" -> threeInstances();
                case "promoter-kill" -> promoterKill();
                default -> throw new IllegalArgumentException("unknown scenario " + scenario);
            };
            rows.add(row);
            log(row.toString());
        }
        String table = table(rows);
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, table);
        }
        boolean ok = rows.stream().allMatch(r -> r.lost() == 0 && r.duplicates() == 0 && r.goldOk()
                && r.inSilver() == r.acknowledged() && r.otherAnswers() == 0);
        System.exit(ok ? 0 : 1);
    }

    // ---------------------------------------------------------------- scenarios

    static Duration phase() {
        return Duration.ofSeconds(brief ? 6 : 20);
    }

    static Row kill9() throws Exception {
        Database db = Database.shared();
        int port = basePort++;
        Sluice a = Sluice.start("kill9-a", port, db);
        Load load = Load.start(List.of(a), brief ? 2 : 4, false);
        Thread.sleep(phase().toMillis());
        Instant fault = Instant.now();
        a.kill();
        log("killed -9; restarting");
        Sluice again = Sluice.start("kill9-a2", port, db);
        load.replace(a, again);
        Thread.sleep(phase().toMillis());
        load.stop();
        Row row = reconcile("kill -9 and restart", db, load, fault, "");
        again.stop();
        return row;
    }

    static Row postgresHung() throws Exception {
        Database db = Database.own();
        Sluice a = Sluice.start("pghung-a", basePort++, db);
        Load load = Load.start(List.of(a), brief ? 2 : 4, false);
        Thread.sleep(phase().toMillis());
        Duration hang = Duration.ofSeconds(brief ? 10 : 30);
        List<String> pids = OwnCluster.pids();
        run("kill", concat(List.of("-STOP"), pids));
        log("PostgreSQL (own cluster) stopped with SIGSTOP for " + hang.toSeconds() + " s");
        Thread.sleep(hang.toMillis());
        run("kill", concat(List.of("-CONT"), pids));
        Instant resumed = Instant.now();
        log("SIGCONT");
        Thread.sleep(phase().toMillis());
        load.stop();
        Row row = reconcile("PostgreSQL hung " + hang.toSeconds() + " s (SIGSTOP)", db, load, resumed,
                "answers during the hang: " + load.statuses());
        a.stop();
        return row;
    }

    static Row postgresRestart() throws Exception {
        Database db = Database.own();
        Sluice a = Sluice.start("pgrestart-a", basePort++, db);
        Load load = Load.start(List.of(a), brief ? 2 : 4, false);
        Thread.sleep(phase().toMillis());
        run("pg_ctlcluster", List.of("15", OwnCluster.NAME, "restart", "-m", "fast"));
        Instant back = Instant.now();
        log("PostgreSQL (own cluster) restarted");
        Thread.sleep(phase().toMillis());
        load.stop();
        Row row = reconcile("PostgreSQL restart", db, load, back, "answers: " + load.statuses());
        a.stop();
        return row;
    }

    static Row retryStorm() throws Exception {
        Database db = Database.shared();
        Sluice a = Sluice.start("storm-a", basePort++, db);
        Load load = Load.start(List.of(a), brief ? 2 : 4, true);
        Thread.sleep(2 * phase().toMillis());
        load.stop();
        Row row = reconcile("retry storm (x3: twice one webhook-id, once a new one)", db, load, null,
                "resends: " + load.resends.get());
        a.stop();
        return row;
    }

    static Row sigtermRolling() throws Exception {
        Database db = Database.shared();
        int portA = basePort++;
        int portB = basePort++;
        Sluice a = Sluice.start("rolling-a", portA, db);
        Sluice b = Sluice.start("rolling-b", portB, db);
        Load load = Load.start(List.of(a, b), brief ? 2 : 4, false);
        Thread.sleep(phase().toMillis());
        Instant first = Instant.now();
        List<String> exits = new ArrayList<>();
        Sluice a2 = roll(load, a, "rolling-a2", portA, db, exits);
        Thread.sleep(phase().toMillis() / 2);
        Sluice b2 = roll(load, b, "rolling-b2", portB, db, exits);
        Thread.sleep(phase().toMillis() / 2);
        load.stop();
        Row row = reconcile("SIGTERM rolling restart of two instances", db, load, first,
                "exits after SIGTERM: " + exits + "; answers: " + load.statuses());
        a2.stop();
        b2.stop();
        return row;
    }

    /**
     * A Kafka bad-input corpus interleaved with good records on every partition of a topic of its own: every good
     * record lands in silver, every bad one is in the DLQ or rejected_events with a reason, every partition's
     * committed offset reaches its end (no partition stops). Webhook load runs beside it.
     */
    static Row kafkaCorpus() throws Exception {
        Database db = Database.shared();
        Topic topic = Topic.create(KAFKA);
        int partitions = Topic.PARTITIONS;
        Sluice a = Sluice.start("corpus-a", basePort++, db, topic.consumedBy());
        Load load = Load.start(List.of(a), 1, false);
        int perPartition = brief ? 40 : 60; // 12 of every 14 odd records are bad: >= 200 bad in both forms
        Set<String> good = ConcurrentHashMap.newKeySet();
        int bad = 0;
        Map<String, Object> config = Map.of("bootstrap.servers", KAFKA, "key.serializer", ByteArraySerializer.class,
                "value.serializer", ByteArraySerializer.class, "acks", "all", "max.request.size", 4 << 20);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < perPartition; i++) {
                for (int p = 0; p < partitions; p++) {
                    String id = "fault-kafka-" + UUID.randomUUID();
                    good.add(id);
                    producer.send(new ProducerRecord<>(topic.name(), p, utf8(id), utf8(event(id))));
                    ProducerRecord<byte[], byte[]> poison = poison(topic.name(), p, i * partitions + p);
                    if (poison.value() != null && poison.value().length > 0 && poison.value()[0] == '!') {
                        // a good event with binary / NUL headers: it must land like any other
                        String other = "fault-kafka-" + UUID.randomUUID();
                        good.add(other);
                        poison = new ProducerRecord<>(topic.name(), p, utf8(other), utf8(event(other)),
                                poison.headers());
                    } else {
                        bad++;
                    }
                    producer.send(poison);
                }
            }
            producer.flush();
        }
        log("produced " + good.size() + " good and " + bad + " bad records on " + partitions + " partitions");
        Instant produced = Instant.now();
        boolean caughtUp = topic.awaitCaughtUp();
        double consumed = Duration.between(produced, Instant.now()).toMillis() / 1000.0;
        load.stop();
        load.sent.addAll(good);
        load.acknowledged.addAll(good);
        Row row = reconcile("Kafka bad-input corpus (" + bad + " bad among " + good.size() + " good, " + partitions
                + " partitions)", db, load, null, "");
        long dead = countRecords(topic.dlq());
        long rejected = Long.parseLong(db.psql("SELECT count(*) FROM bronze.rejected_events WHERE source = '"
                + topic.name() + "' AND reason <> '';").strip());
        a.stop();
        String note = "every partition committed to its end: " + (caughtUp ? "yes" : "NO") + " (" + consumed
                + " s); bad records accounted: " + (dead + rejected) + " of " + bad + " (DLQ " + dead
                + ", rejected_events " + rejected + ")";
        long unaccounted = Math.abs(bad - dead - rejected) + (caughtUp ? 0 : 1);
        return row.with(consumed, unaccounted, note);
    }

    /**
     * The Kafka broker (the suite's own, on other ports) restarted while producers send and webhooks arrive: webhooks
     * keep being answered 202, the producers' unacknowledged records are resent, consumption resumes by itself, and
     * every record the broker acknowledged is in silver once.
     */
    static Row brokerRestart() throws Exception {
        Database db = Database.shared();
        try (Broker broker = Broker.fresh()) {
            Topic topic = Topic.create(broker.bootstrap());
            Sluice a = Sluice.start("broker-a", basePort++, db, broker.servedTo(topic.consumedBy()));
            Load load = Load.start(List.of(a), brief ? 2 : 4, false);
            KafkaLoad records = KafkaLoad.start(load, topic, brief ? 1 : 2);
            Thread.sleep(phase().toMillis());
            broker.restart();
            Instant back = Instant.now();
            log("broker restarted");
            Thread.sleep(phase().toMillis());
            load.stop();
            records.stop();
            boolean caughtUp = topic.awaitCaughtUp();
            Row row = reconcile("Kafka broker restart (own broker, producers and webhooks sending)", db, load, null,
                    "");
            double resumed = db.secondsUntil("SELECT min(received_at) FROM bronze.events WHERE channel = 'kafka'"
                    + " AND received_at > '" + back + "'", back);
            a.stop();
            return row.with(resumed, caughtUp ? 0 : 1, "records acknowledged by the broker: " + records.acknowledged
                    .get() + ", resent after a failed send: " + records.resent.get() + "; webhook answers: "
                    + load.statuses() + "; time to recover = first Kafka record landed after the restart; "
                    + "consumer group committed to the end: " + (caughtUp ? "yes" : "NO"));
        }
    }

    /**
     * Three instances share webhook and Kafka load (one topic, one group); one is killed with kill -9: the other two
     * keep answering, its partitions move to them (session timeout 10 s here), and nothing is lost or doubled.
     */
    static Row threeInstances() throws Exception {
        Database db = Database.shared();
        Topic topic = Topic.create(KAFKA);
        Map<String, String> env = new LinkedHashMap<>(topic.consumedBy());
        env.put("JAVA_TOOL_OPTIONS", "-Dmp.messaging.incoming.events.session.timeout.ms=10000"
                + " -Dmp.messaging.incoming.events.heartbeat.interval.ms=2000");
        List<Sluice> three = Sluice.startAll(db, env, "three-a", "three-b", "three-c");
        Load load = Load.start(three, brief ? 3 : 6, false);
        KafkaLoad records = KafkaLoad.start(load, topic, brief ? 1 : 2);
        Thread.sleep(phase().toMillis());
        Sluice victim = three.get(1);
        victim.kill();
        Instant fault = Instant.now();
        log("killed -9 one of three instances");
        load.remove(victim); // as a Service drops an endpoint that stopped answering
        Thread.sleep(phase().toMillis());
        load.stop();
        records.stop();
        long acksAfter = load.ackTimes.stream().filter(t -> t.isAfter(fault)).count();
        boolean caughtUp = topic.awaitCaughtUp();
        Row row = reconcile("three instances, one killed with kill -9 (webhooks and Kafka)", db, load, fault, "");
        three.get(0).stop();
        three.get(2).stop();
        return row.with(row.recoverSeconds(), caughtUp ? 0 : 1, "webhook deliveries acknowledged after the kill: "
                + acksAfter + "; Kafka records sent: " + records.acknowledged.get() + "; consumer group committed to "
                + "the end: " + (caughtUp ? "yes" : "NO") + "; answers: " + load.statuses());
    }

    /**
     * A promoter killed with kill -9 in the middle of a batch: a backlog lands with promotion off, an instance with
     * promotion on starts draining it and is killed while its rounds are in flight, a new one finishes. Silver and gold
     * are exact (gold.i3_differences empty), nothing lost or doubled.
     */
    static Row promoterKill() throws Exception {
        Database db = Database.shared();
        int port = basePort++;
        Sluice lander = Sluice.start("promokill-land", port, db, Map.of("SLUICE_PROMOTION_ENABLED", "false"));
        Load load = Load.backlog(List.of(lander), 4, 100, brief ? 6000 : 30000);
        load.awaitLimit();
        lander.stop();
        long backlog = load.acknowledged.size();
        log("backlog of " + backlog + " events landed with promotion off");
        // rounds much smaller than the backlog, so the kill lands between commits: with the default (4000) two rounds
        // held the whole short-form backlog and committed together, before the kill
        Sluice promoter = Sluice.start("promokill-a", port, db, Map.of("SLUICE_PROMOTION_BATCH_SIZE", "500"));
        String silver = "SELECT count(*) FROM silver.events";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline && db.count(silver) < backlog / 10) {
            Thread.sleep(100);
        }
        long open = db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL");
        promoter.kill();
        Instant fault = Instant.now();
        long atKill = db.count(silver);
        log("promoter killed -9 with " + atKill + " of " + backlog + " in silver, " + open + " transactions open");
        Sluice again = Sluice.start("promokill-a2", port, db);
        Row row = reconcile("promoter killed with kill -9 mid-batch", db, load, null, "");
        double drained = Duration.between(fault, Instant.now()).toMillis() / 1000.0;
        again.stop();
        return row.with(drained, atKill < backlog ? 0 : 1, "killed with " + atKill + " of " + backlog
                + " events in silver and " + open + " of its transactions open; time to recover = kill to backlog"
                + " promoted");
    }

    static final String KAFKA = env("SLUICE_KAFKA_HOST", "127.0.0.1") + ":" + env("SLUICE_KAFKA_PORT", "9092");

    /** The i-th record of the bad corpus; a value starting with '!' marks a good event that only has odd headers. */
    static ProducerRecord<byte[], byte[]> poison(String topic, int partition, int i) {
        String id = "fault-bad-" + UUID.randomUUID();
        byte[] value;
        List<org.apache.kafka.common.header.Header> headers = new ArrayList<>();
        switch (i % 14) {
            case 0 -> value = utf8("not json at all");
            case 1 -> value = new byte[]{'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'}; // invalid UTF-8
            case 2 -> value = null; // tombstone
            case 3 -> value = utf8("{\"event_id\":\"" + id + "\",\"event_type\":\"page_view\",\"pad\":\""
                    + "x".repeat(200_000) + "\"}"); // beyond the event size limit
            case 4 -> value = utf8("{\"specversion\":\"0.3\",\"id\":\"" + id
                    + "\",\"type\":\"page_view\",\"source\":\"faults\"}"); // wrong CloudEvents version
            case 5 -> value = utf8("{\"specversion\":\"1.0\",\"type\":\"page_view\"}"); // partial CloudEvent
            case 6 -> value = utf8("[".repeat(100) + "]".repeat(100)); // deep nesting
            case 7 -> value = utf8(event(id).replace("\"total\":25.98", "\"total\":1e400")); // beyond numeric
            case 8 -> value = utf8("{\"event_id\":\"" + id + "\",\"event_type\":\"no_such_type\","
                    + "\"occurred_at\":\"2026-11-20T10:00:00Z\"}"); // unknown type
            case 9 -> value = utf8("{\"event_type\":\"page_view\",\"occurred_at\":\"2026-11-20T10:00:00Z\"}");
            case 10 -> value = utf8("{\"event_id\":42,\"event_type\":\"page_view\"}"); // wrong type
            case 11 -> value = utf8(""); // empty
            case 12 -> {
                value = utf8("!");
                headers.add(new org.apache.kafka.common.header.internals.RecordHeader("__TypeId__",
                        new byte[]{0, 0, 0, 3}));
            }
            default -> {
                value = utf8("!");
                headers.add(new org.apache.kafka.common.header.internals.RecordHeader("trace",
                        new byte[]{(byte) 0xFF, (byte) 0xFE, 0, 1}));
            }
        }
        return new ProducerRecord<>(topic, partition, utf8(id), value, headers);
    }

    static long countRecords(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> all = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Map<TopicPartition, Long> ends = consumer.endOffsets(all);
            long count = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && all.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                    if (record.headers().lastHeader("dead-letter-reason") != null) {
                        count++;
                    }
                }
            }
            return count;
        }
    }

    static KafkaConsumer<byte[], byte[]> consumer() {
        return consumer(KAFKA);
    }

    static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "key.deserializer", ByteArrayDeserializer.class,
                "value.deserializer", ByteArrayDeserializer.class, "enable.auto.commit", false));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Sluice roll(Load load, Sluice old, String name, int port, Database db, List<String> exits)
            throws Exception {
        // SIGTERM while the senders still use it (as during endpoint propagation): they get 503 + Retry-After or a
        // refused connection and go to the other instance
        long started = System.nanoTime();
        old.process.destroy();
        boolean exited = old.process.waitFor(30, TimeUnit.SECONDS);
        load.remove(old);
        exits.add(exited ? String.format("%.1f s", (System.nanoTime() - started) / 1e9) : "NOT within 30 s");
        if (!exited) {
            old.process.destroyForcibly().waitFor();
        }
        Sluice fresh = Sluice.start(name, port, db);
        load.add(fresh);
        return fresh;
    }

    // ---------------------------------------------------------------- load

    /** Partner-like senders: each delivery is retried (same webhook-id, same body) until it is answered 202. */
    static final class Load {
        final List<Sluice> targets = new CopyOnWriteArrayList<>();
        final Set<String> sent = ConcurrentHashMap.newKeySet();
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<Instant> ackTimes = new ConcurrentLinkedQueue<>();
        final Map<String, AtomicLong> statuses = new ConcurrentHashMap<>();
        final AtomicLong other = new AtomicLong();
        final AtomicLong resends = new AtomicLong();
        final AtomicLong maxAnswerNanos = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final ExecutorService senders;
        final boolean storm;
        final int batch;
        final long limit;

        private Load(List<Sluice> targets, int threads, boolean storm, int batch, long limit) {
            this.targets.addAll(targets);
            this.storm = storm;
            this.batch = batch;
            this.limit = limit;
            this.senders = Executors.newFixedThreadPool(threads);
            for (int i = 0; i < threads; i++) {
                senders.submit(this::send);
            }
        }

        static Load start(List<Sluice> targets, int threads, boolean storm) {
            return new Load(targets, threads, storm, brief ? 5 : 10, Long.MAX_VALUE);
        }

        /** Sends about {@code events} events in batches of {@code batch}, as fast as they are answered. */
        static Load backlog(List<Sluice> targets, int threads, int batch, long events) {
            return new Load(targets, threads, false, batch, events);
        }

        /** Waits until the limit is sent (at most 300 s), then until every started delivery is answered. */
        void awaitLimit() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (sent.size() < limit && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            stop();
        }

        void replace(Sluice old, Sluice fresh) {
            targets.remove(old);
            targets.add(fresh);
        }

        void remove(Sluice old) {
            targets.remove(old);
        }

        void add(Sluice fresh) {
            targets.add(fresh);
        }

        /** Stops starting deliveries; those started are retried to the end (up to 120 s). */
        void stop() throws InterruptedException {
            running.set(false);
            senders.shutdown();
            if (!senders.awaitTermination(180, TimeUnit.SECONDS)) {
                senders.shutdownNow();
            }
        }

        String statuses() {
            Map<String, Long> copy = new LinkedHashMap<>();
            statuses.forEach((k, v) -> copy.put(k, v.get()));
            return copy.toString();
        }

        private void send() {
            while (running.get() && sent.size() < limit) {
                List<String> ids = new ArrayList<>();
                StringBuilder body = new StringBuilder("[");
                for (int i = 0; i < batch; i++) {
                    String id = "fault-" + UUID.randomUUID();
                    ids.add(id);
                    body.append(i == 0 ? "" : ",").append(event(id));
                }
                byte[] bytes = body.append(']').toString().getBytes(StandardCharsets.UTF_8);
                String webhookId = "msg_" + UUID.randomUUID();
                sent.addAll(ids);
                if (deliver(webhookId, bytes)) {
                    acknowledged.addAll(ids);
                    ackTimes.add(Instant.now());
                    if (storm) {
                        // the partner resends: once more under the same webhook-id, once under a new one
                        resends.addAndGet(2);
                        deliver(webhookId, bytes);
                        deliver("msg_" + UUID.randomUUID(), bytes);
                    }
                }
                if (limit == Long.MAX_VALUE) {
                    pause(50);
                }
            }
        }

        /** True once answered 202; retries 503, 429 and connection failures with a short backoff. */
        private boolean deliver(String webhookId, byte[] body) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int attempt = 0;
            while (System.nanoTime() < deadline) {
                List<Sluice> live = List.copyOf(targets);
                if (live.isEmpty()) {
                    pause(100);
                    continue;
                }
                Sluice target = live.get(ThreadLocalRandom.current().nextInt(live.size()));
                long started = System.nanoTime();
                String outcome;
                try {
                    int status = HTTP.send(request(target.port, webhookId, body), HttpResponse.BodyHandlers
                            .discarding()).statusCode();
                    outcome = Integer.toString(status);
                    if (status == 202) {
                        count(outcome, started);
                        return true;
                    }
                    if (status != 503 && status != 429) {
                        other.incrementAndGet();
                    }
                } catch (ConnectException e) {
                    outcome = "refused";
                } catch (HttpTimeoutException e) {
                    outcome = "no answer in 60 s";
                    other.incrementAndGet();
                } catch (IOException e) {
                    outcome = "connection closed";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                count(outcome, started);
                pause(Math.min(2000, 100L << Math.min(attempt++, 4)));
            }
            return false;
        }

        private void count(String outcome, long started) {
            statuses.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
            maxAnswerNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
        }
    }

    /**
     * A producer beside the webhook load: good events (the same shape) keyed by event_id, with acks=all; a send the
     * broker did not acknowledge (broker down, timeout) is resent until it is, so every event sent is acknowledged by
     * the end. Its ids join the load's sent and acknowledged sets, so one reconciliation covers both channels.
     */
    static final class KafkaLoad {
        final Load load;
        final Topic topic;
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong resent = new AtomicLong();
        final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        final AtomicBoolean running = new AtomicBoolean(true);
        final ExecutorService senders;
        final KafkaProducer<byte[], byte[]> producer;

        private KafkaLoad(Load load, Topic topic, int threads) {
            this.load = load;
            this.topic = topic;
            this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", topic.bootstrap(), "key.serializer",
                    ByteArraySerializer.class, "value.serializer", ByteArraySerializer.class, "acks", "all",
                    "max.block.ms", 5000, "request.timeout.ms", 5000, "delivery.timeout.ms", 15000,
                    "linger.ms", 5));
            this.senders = Executors.newFixedThreadPool(threads);
            for (int i = 0; i < threads; i++) {
                senders.submit(this::send);
            }
        }

        static KafkaLoad start(Load load, Topic topic, int threads) {
            return new KafkaLoad(load, topic, threads);
        }

        private void send() {
            while (running.get()) {
                String again = failed.poll();
                if (again != null) {
                    resent.incrementAndGet();
                }
                String id = again != null ? again : "fault-kafka-" + UUID.randomUUID();
                load.sent.add(id);
                produce(id);
                pause(20);
            }
        }

        private void produce(String id) {
            try {
                producer.send(new ProducerRecord<>(topic.name(), utf8(id), utf8(event(id))), (metadata, error) -> {
                    if (error == null) {
                        load.acknowledged.add(id);
                        acknowledged.incrementAndGet();
                    } else {
                        failed.add(id);
                    }
                });
            } catch (RuntimeException e) { // metadata not available within max.block.ms
                failed.add(id);
                pause(500);
            }
        }

        /** Stops producing new events; resends the failed ones until the broker acknowledges them (up to 120 s). */
        void stop() throws InterruptedException {
            running.set(false);
            senders.shutdown();
            senders.awaitTermination(60, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            do {
                producer.flush();
                for (String id; (id = failed.poll()) != null;) {
                    resent.incrementAndGet();
                    produce(id);
                }
                producer.flush();
            } while (!failed.isEmpty() && System.nanoTime() < deadline);
            producer.close(Duration.ofSeconds(10));
        }
    }

    /** A topic and its DLQ of one scenario, with its consumer group, on a broker. */
    record Topic(String bootstrap, String name, String group) {
        static final int PARTITIONS = 6;

        static Topic create(String bootstrap) throws Exception {
            String run = UUID.randomUUID().toString().substring(0, 8);
            Topic topic = new Topic(bootstrap, "sluice.faults." + run, "sluice-faults-" + run);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic.name(), PARTITIONS,
                        (short) 1), new org.apache.kafka.clients.admin.NewTopic(topic.dlq(), PARTITIONS, (short) 1)))
                        .all().get(30, TimeUnit.SECONDS);
            }
            return topic;
        }

        String dlq() {
            return name + ".dlq";
        }

        /** The environment of a Sluice that consumes this topic. */
        Map<String, String> consumedBy() {
            return Map.of("MP_MESSAGING_INCOMING_EVENTS_ENABLED", "true", "SLUICE_KAFKA_TOPICS", name,
                    "SLUICE_KAFKA_DLQ", dlq(), "MP_MESSAGING_INCOMING_EVENTS_GROUP_ID", group);
        }

        /** Waits (at most 180 s) until the group has committed every partition to its end. */
        boolean awaitCaughtUp() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline) {
                if (caughtUp()) {
                    return true;
                }
                Thread.sleep(1000);
            }
            return false;
        }

        boolean caughtUp() throws Exception {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
                    List<TopicPartition> all = new ArrayList<>();
                    for (int p = 0; p < PARTITIONS; p++) {
                        all.add(new TopicPartition(name, p));
                    }
                    Map<TopicPartition, Long> ends = consumer.endOffsets(all);
                    return all.stream().allMatch(tp -> committed.get(tp) != null
                            && committed.get(tp).offset() >= ends.get(tp));
                }
            }
        }
    }

    /**
     * The suite's own single-node KRaft broker (FAULTS_KAFKA_PORT, 19492, and the next port for its controller), from
     * the same jars as dev/kafka-up, with its data under target/faults/broker: restartable without touching the
     * shared broker.
     */
    static final class Broker implements AutoCloseable {
        static final int PORT = Integer.parseInt(env("FAULTS_KAFKA_PORT", "19492"));
        static final Path HOME = LOGS.resolve("broker");
        private Process process;
        private int starts;

        static Broker fresh() throws Exception {
            if (Files.exists(HOME)) {
                try (var paths = Files.walk(HOME)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
            Files.createDirectories(HOME);
            Path props = HOME.resolve("server.properties");
            Files.writeString(props, String.join("\n", "process.roles=broker,controller", "node.id=1",
                    "controller.quorum.voters=1@127.0.0.1:" + (PORT + 1),
                    "listeners=PLAINTEXT://127.0.0.1:" + PORT + ",CONTROLLER://127.0.0.1:" + (PORT + 1),
                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + PORT, "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "log.dirs=" + HOME.resolve("data").toAbsolutePath(), "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0", ""));
            String id = kafkaTool("kafka.tools.StorageTool", "random-uuid").strip();
            kafkaTool("kafka.tools.StorageTool", "format", "-t", id, "-c", props.toString());
            Broker broker = new Broker();
            broker.start();
            return broker;
        }

        String bootstrap() {
            return "127.0.0.1:" + PORT;
        }

        /** A Sluice environment pointed at this broker. */
        Map<String, String> servedTo(Map<String, String> env) {
            Map<String, String> all = new LinkedHashMap<>(env);
            all.put("SLUICE_KAFKA_HOST", "127.0.0.1");
            all.put("SLUICE_KAFKA_PORT", Integer.toString(PORT));
            return all;
        }

        private void start() throws Exception {
            Path log = LOGS.resolve("broker-" + ++starts + ".log");
            process = new ProcessBuilder(javaBin(), "-Xmx384m", "-cp", kafkaLibs(), "kafka.Kafka",
                    HOME.resolve("server.properties").toString()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the suite's broker exited; see " + log);
                }
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap(), "request.timeout.ms", 3000,
                        "default.api.timeout.ms", 3000))) {
                    admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                    log("own broker ready on " + bootstrap());
                    return;
                } catch (Exception e) {
                    Thread.sleep(500);
                }
            }
            throw new IllegalStateException("the suite's broker did not answer within 90 s; see " + log);
        }

        /** SIGTERM (a controlled shutdown, as a rolling broker upgrade does), then the same broker again. */
        void restart() throws Exception {
            stop();
            start();
        }

        private void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    static String kafkaLibs() {
        return Path.of(env("KAFKA_HOME", ".cache/kafka"), "libs").toAbsolutePath() + "/*";
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String kafkaTool(String main, String... args) throws Exception {
        List<String> line = new ArrayList<>(List.of(javaBin(), "-Dorg.slf4j.simpleLogger.defaultLogLevel=off", "-cp",
                kafkaLibs(), main));
        line.addAll(List.of(args));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException(line + " failed: " + out);
        }
        return out;
    }

    static HttpRequest request(int port, String webhookId, byte[] body) {
        String ts = Long.toString(System.currentTimeMillis() / 1000);
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/webhooks/faults"))
                .timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json")
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", ts)
                .header("webhook-signature", "v1," + sign(webhookId + "." + ts + ".", body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    static String event(String id) {
        int sku = Math.floorMod(id.hashCode(), 50);
        return """
                {"event_id":"%s","event_type":"purchase","occurred_at":"%s","user_id":"user-%d",\
                "context":{"ip":"203.0.113.7","user_agent":"faults"},\
                "order":{"order_id":"order-%s","currency":"EUR","total":25.98,"items":[{"sku":"SKU-%d","name":"Mug",\
                "category":"kitchen","brand":"Acme","quantity":2,"unit_price":12.99}]}}"""
                .formatted(id, Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS), sku, id, sku);
    }

    static String sign(String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- reconciliation

    static Row reconcile(String scenario, Database db, Load load, Instant fault, String note) throws Exception {
        db.awaitQuiet();
        Path ids = Files.createTempFile("faults-", ".tsv");
        StringBuilder lines = new StringBuilder();
        for (String id : load.sent) {
            lines.append(id).append('\t').append(load.acknowledged.contains(id) ? 't' : 'f').append('\n');
        }
        Files.writeString(ids, lines);
        String result = db.psql("""
                CREATE TEMP TABLE sent (event_id text PRIMARY KEY, acked boolean);
                \\copy sent FROM '%s'
                SELECT (SELECT count(*) FROM sent),
                       (SELECT count(*) FROM sent WHERE acked),
                       (SELECT count(*) FROM sent s WHERE EXISTS (SELECT 1 FROM silver.events e WHERE e.event_id = s.event_id)),
                       (SELECT count(*) FROM gold.fact_order_line f JOIN sent s USING (event_id))
                         - (SELECT count(*) FROM sent s WHERE EXISTS (SELECT 1 FROM silver.events e WHERE e.event_id = s.event_id)),
                       (SELECT count(*) FROM sent s WHERE acked
                          AND NOT EXISTS (SELECT 1 FROM silver.events e WHERE e.event_id = s.event_id)
                          AND NOT EXISTS (SELECT 1 FROM bronze.quarantine q WHERE q.event_id = s.event_id)),
                       (SELECT count(DISTINCT q.event_id) FROM bronze.quarantine q JOIN sent s USING (event_id)),
                       (SELECT count(*) FROM gold.i3_differences);
                """.formatted(ids));
        Files.delete(ids);
        String[] f = result.strip().lines().reduce((a, b) -> b).orElseThrow().split("\\|");
        double recover = Double.NaN;
        if (fault != null) {
            recover = load.ackTimes.stream().filter(t -> t.isAfter(fault)).min(Instant::compareTo)
                    .map(t -> Duration.between(fault, t).toMillis() / 1000.0).orElse(Double.NaN);
        }
        return new Row(scenario, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]) == 0, recover,
                load.maxAnswerNanos.get() / 1e9, load.other.get(), note);
    }

    static String table(List<Row> rows) {
        StringBuilder t = new StringBuilder(
                "| scenario | sent | acknowledged | in silver | duplicates | lost | quarantined | gold == aggregate(silver) "
                        + "| time to recover | slowest answer | answers other than 202/503/429 |\n"
                        + "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
        for (Row r : rows) {
            t.append(String.format("| %s | %d | %d | %d | %d | %d | %d | %s | %s | %.1f s | %d |%n", r.scenario(),
                    r.sent(), r.acknowledged(), r.inSilver(), r.duplicates(), r.lost(), r.quarantined(),
                    r.goldOk() ? "yes" : "NO", Double.isNaN(r.recoverSeconds()) ? "-"
                            : String.format("%.1f s", r.recoverSeconds()),
                    r.maxAnswerSeconds(), r.otherAnswers()));
        }
        for (Row r : rows) {
            if (!r.note().isEmpty()) {
                t.append("\n- ").append(r.scenario()).append(": ").append(r.note());
            }
        }
        return t.append('\n').toString();
    }

    // ---------------------------------------------------------------- processes and databases

    /** A throwaway database owned by the service role (which migrates it), on the shared or the suite's cluster. */
    record Database(int port) {

        static Database shared() throws Exception {
            superuser(SHARED_PORT, "DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
            superuser(SHARED_PORT, "CREATE DATABASE " + DB + " OWNER " + USER);
            return new Database(SHARED_PORT);
        }

        static Database own() throws Exception {
            OwnCluster.up();
            superuser(OWN_PORT, "DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
            superuser(OWN_PORT, "CREATE DATABASE " + DB + " OWNER " + USER);
            return new Database(OWN_PORT);
        }

        String psql(String script) throws Exception {
            ProcessBuilder builder = new ProcessBuilder("psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", "-h", HOST,
                    "-p", Integer.toString(port), "-U", USER, "-d", DB);
            builder.environment().put("PGPASSWORD", PASSWORD);
            builder.redirectErrorStream(true);
            Process process = builder.start();
            process.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("psql failed: " + out);
            }
            return out;
        }

        long count(String query) throws Exception {
            return Long.parseLong(psql(query + ";").strip());
        }

        /** Seconds from {@code from} to the timestamp the query answers (NaN when it answers NULL). */
        double secondsUntil(String query, Instant from) throws Exception {
            String at = psql("SELECT extract(epoch FROM (" + query + "));").strip();
            return at.isEmpty() ? Double.NaN : Double.parseDouble(at) - from.toEpochMilli() / 1000.0;
        }

        /** Waits until promotion has nothing left to do (at most 180 s). */
        void awaitQuiet() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            int quiet = 0;
            while (System.nanoTime() < deadline && quiet < 2) {
                // bronze.promotion_batches (landing in blocks) exists from the lead's V8 on
                boolean batches = "t".equals(psql(
                        "SELECT to_regclass('bronze.promotion_batches') IS NOT NULL;").strip());
                String left = psql("SELECT (SELECT count(*) FROM bronze.promotion_queue"
                        + " WHERE attempts = 0 OR next_attempt_at < now() + interval '1 minute')"
                        + (batches ? " + (SELECT count(*) FROM bronze.promotion_batches)" : "") + ";").strip();
                quiet = "0".equals(left) ? quiet + 1 : 0;
                Thread.sleep(1000);
            }
        }
    }

    /** The suite's own PostgreSQL 15 cluster ({@code faults}, port 5439), created on first use. */
    static final class OwnCluster {
        static final String NAME = "faults";

        static void up() throws Exception {
            if (run("pg_lsclusters", List.of("-h")).lines().noneMatch(l -> l.matches("15\\s+" + NAME + "\\s.*"))) {
                run("pg_createcluster", List.of("15", NAME, "-p", Integer.toString(OWN_PORT)));
            }
            runAllowing("pg_ctlcluster", List.of("15", NAME, "start"), 0, 2);
            for (int i = 0; i < 60 && runAllowing("pg_isready", List.of("-h", HOST, "-p",
                    Integer.toString(OWN_PORT)), 0, 1, 2).isEmpty(); i++) {
                Thread.sleep(500);
            }
            superuser(OWN_PORT, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + USER
                    + "') THEN CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'; END IF; END $$");
        }

        /** The postmaster and its children. */
        static List<String> pids() throws Exception {
            String postmaster = Files.readAllLines(Path.of("/var/lib/postgresql/15/" + NAME + "/postmaster.pid"))
                    .get(0).strip();
            List<String> pids = new ArrayList<>(List.of(postmaster));
            pids.addAll(runAllowing("pgrep", List.of("-P", postmaster), 0, 1).lines().map(String::strip)
                    .filter(s -> !s.isEmpty()).toList());
            return pids;
        }
    }

    static void superuser(int port, String sql) throws Exception {
        run("su", List.of("postgres", "-c", "psql -X -qtA -v ON_ERROR_STOP=1 -p " + port + " -d postgres -c \""
                + sql.replace("\"", "\\\"").replace("$", "\\$") + "\""));
    }

    /** One Sluice (the packaged jar, prod profile) on the given port and database. */
    static final class Sluice {
        final Process process;
        final int port;

        private Sluice(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        static Sluice start(String name, int port, Database db) throws Exception {
            return start(name, port, db, Map.of());
        }

        static Sluice start(String name, int port, Database db, Map<String, String> extra) throws Exception {
            if (!Files.exists(JAR)) {
                throw new IllegalStateException(JAR + " missing: ./mvnw -B -q package -DskipTests");
            }
            ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx256m", "-jar", JAR.toString());
            Map<String, String> env = builder.environment();
            String url = "//" + HOST + ":" + db.port() + "/" + DB;
            env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql:" + url);
            env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql:" + url);
            env.put("QUARKUS_FLYWAY_USERNAME", USER);
            env.put("QUARKUS_FLYWAY_PASSWORD", PASSWORD);
            env.put("SLUICE_WEBHOOK_PARTNERS_FAULTS_SECRETS", SECRET);
            env.put("SLUICE_WEBHOOK_MAX_IN_FLIGHT", "128");
            env.put("SLUICE_PRIVACY_HASH_KEY", "faults-only");
            env.put("SLUICE_SHUTDOWN_DELAY", "2s");
            env.put("MP_MESSAGING_INCOMING_EVENTS_ENABLED", "false");
            env.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
            env.putAll(extra);
            Path log = LOGS.resolve(name + ".log");
            Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Sluice sluice = new Sluice(process, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited; see " + log);
                }
                try {
                    if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200) {
                        log(name + " ready on :" + port);
                        return sluice;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(500);
            }
            process.destroyForcibly();
            throw new IllegalStateException(name + " not ready within 120 s; see " + log);
        }

        /** Several instances on one database, started side by side (each on the next port). */
        static List<Sluice> startAll(Database db, Map<String, String> extra, String... names) throws Exception {
            List<java.util.concurrent.CompletableFuture<Sluice>> starting = new ArrayList<>();
            for (String name : names) {
                int port = basePort++;
                starting.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return start(name, port, db, extra);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            List<Sluice> all = new ArrayList<>();
            for (var future : starting) {
                all.add(future.get(180, TimeUnit.SECONDS));
            }
            return all;
        }

        /** kill -9. */
        void kill() throws InterruptedException {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    static String run(String command, List<String> args) throws Exception {
        return runAllowing(command, args, 0);
    }

    static String runAllowing(String command, List<String> args, int... allowed) throws Exception {
        List<String> line = concat(List.of(command), args);
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = process.waitFor();
        for (int ok : allowed) {
            if (code == ok) {
                return code == 0 ? out : "";
            }
        }
        throw new IllegalStateException(line + " exited " + code + ": " + out);
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void log(String message) {
        System.err.printf("[faults %s] %s%n", Instant.now().truncatedTo(ChronoUnit.SECONDS), message);
    }

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
