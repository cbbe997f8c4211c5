package io.sluice.backfill;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.credential.TokenCredential;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.sluice.archive.ArchiveException;
import io.sluice.archive.ArchiveKeys;
import io.sluice.archive.PartitionArchiver;
import io.sluice.bronze.BackfillJob;
import io.sluice.bronze.BackfillJobs;
import io.sluice.bronze.BronzeCopy;
import io.sluice.bronze.BronzeCopy.Progress;
import io.sluice.error.Problem;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The backfill door: {@code POST /v1/admin/backfills?source=NAME} and {@code POST /v1/admin/backfills/{id}/resume},
 * operator role. A Vert.x route ahead of Quarkus's body-size limit, because the body is a file of any size: it is
 * read as a stream on a worker thread (gzip decoded on the fly), never buffered whole, and the answer (202 with the
 * job) comes once the file has been read to its end. Meanwhile the job's progress is at
 * {@code GET /v1/admin/backfills/{id}}.
 * <p>
 * {@code POST /v1/admin/backfills?archive=KEY} (no body) replays an object of the raw archive instead
 * ({@code bronze/events_20260101.ndjson.gz}): it is first checked against its manifest, then read from the
 * archive's store through the same runner, each row under its own source; silver upserts by event_id, so a replay
 * adds no silver rows for events silver already holds.
 */
@ApplicationScoped
public class BackfillRoute {

    static final String PATH = "/v1/admin/backfills";
    /** Before Quarkus's upload limit (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT, -2), like the webhook's BodyLimit. */
    private static final int ORDER = -3;
    private static final int MAX_RUNNING = 2;
    private static final Duration STALL = Duration.ofMinutes(2);
    private static final Pattern SOURCE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final String BEARER = "Bearer ";

    private final BackfillRunner runner;
    private final BackfillJobs jobs;
    private final IdentityProviderManager identities;
    private final ObjectMapper mapper;
    private final PartitionArchiver archive;
    private final Semaphore running = new Semaphore(MAX_RUNNING);
    private final ExecutorService workers = Executors.newFixedThreadPool(MAX_RUNNING, runnable -> {
        Thread thread = new Thread(runnable, "sluice-backfill");
        thread.setDaemon(true);
        return thread;
    });

    public BackfillRoute(BackfillRunner runner, BackfillJobs jobs, IdentityProviderManager identities,
            ObjectMapper mapper, PartitionArchiver archive) {
        this.archive = archive;
        this.runner = runner;
        this.jobs = jobs;
        this.identities = identities;
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        router.post(PATH).order(ORDER).handler(context -> handle(context, Optional.empty()));
        router.post(PATH + "/:id/resume").order(ORDER)
                .handler(context -> handle(context, Optional.of(context.pathParam("id"))));
    }

    void stop(@Observes ShutdownEvent event) {
        workers.shutdownNow();
    }

    private void handle(RoutingContext context, Optional<String> resumeId) {
        HttpServerRequest request = context.request();
        request.pause();
        Context vertx = Vertx.currentContext();
        authenticate(request).subscribe().with(identity -> {
            if (identity == null) {
                answer(context, Problem.of("unauthorized", "Unauthorized", 401,
                        "The request could not be authenticated for this path."));
            } else if (!identity.hasRole(BackfillResource.OPERATOR)) {
                answer(context, Problem.of("forbidden", "Forbidden", 403,
                        "This token lacks the role this endpoint needs."));
            } else {
                accept(context, vertx, resumeId, identity.getPrincipal().getName());
            }
        }, failure -> answer(context, Problem.of("unauthorized", "Unauthorized", 401,
                "The request could not be authenticated for this path.")));
    }

    private Uni<SecurityIdentity> authenticate(HttpServerRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Uni.createFrom().nullItem();
        }
        String token = header.substring(BEARER.length()).strip();
        return identities.authenticate(new TokenAuthenticationRequest(new TokenCredential(token, "bearer")))
                .onFailure(AuthenticationFailedException.class).recoverWithNull();
    }

    private void accept(RoutingContext context, Context vertx, Optional<String> resumeId, String who) {
        HttpServerRequest request = context.request();
        String archiveKey = request.getParam("archive");
        if (archiveKey != null) {
            acceptArchive(context, resumeId, archiveKey, who);
            return;
        }
        Optional<BackfillRunner.Format> format = format(request.getHeader(HttpHeaders.CONTENT_TYPE));
        if (format.isEmpty()) {
            answer(context, Problem.of("unsupported-media-type", "Unsupported media type", 415,
                    "Content-Type must be application/x-ndjson (one event per line) or text/csv (a header row of "
                            + "field paths)."));
            return;
        }
        String encoding = Optional.ofNullable(request.getHeader(HttpHeaders.CONTENT_ENCODING)).orElse("identity")
                .strip().toLowerCase();
        if (!encoding.equals("identity") && !encoding.equals("gzip")) {
            answer(context, Problem.of("unsupported-media-type", "Unsupported media type", 415,
                    "Content-Encoding must be gzip or none."));
            return;
        }
        String source = request.getParam("source");
        if (resumeId.isEmpty() && (source == null || !SOURCE.matcher(source).matches())) {
            answer(context, badRequest("source is required: 1 to 128 characters of A-Z a-z 0-9 . _ : -"));
            return;
        }
        Optional<Long> id = resumeId.flatMap(BackfillRoute::parseId);
        if (resumeId.isPresent() && id.isEmpty()) {
            answer(context, notFound());
            return;
        }
        if (!running.tryAcquire()) {
            context.response().putHeader("Retry-After", "60");
            answer(context, Problem.of("unavailable", "Service unavailable", 503,
                    "This instance already runs " + MAX_RUNNING + " backfills; retry later or on another instance."));
            return;
        }
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            context.response().writeContinue();
        }
        RequestBodyStream body = new RequestBodyStream(request, vertx, STALL);
        Log.infof("admin backfill %s requested by %s", resumeId.map(r -> "resume of job " + r)
                .orElse("of source " + source), who);
        workers.execute(() -> {
            try {
                run(context, body, format.get(), gzip(encoding), source, id, null);
            } finally {
                running.release();
            }
        });
    }

    /** A replay of an archived object: no body; the object is read from the archive's store. */
    private void acceptArchive(RoutingContext context, Optional<String> resumeId, String key, String who) {
        context.request().resume();
        if (!archive.enabled()) {
            answer(context, Problem.of("archive-off", "Conflict", 409,
                    "No raw archive is configured here (sluice.archive.target=none)."));
            return;
        }
        if (!ArchiveKeys.isObjectKey(key)) {
            answer(context, badRequest("archive must be the key of an archived object, e.g. "
                    + "bronze/events_20260101.ndjson.gz (A-Z a-z 0-9 . _ - /, no ..)"));
            return;
        }
        Optional<Long> id = resumeId.flatMap(BackfillRoute::parseId);
        if (resumeId.isPresent() && id.isEmpty()) {
            answer(context, notFound());
            return;
        }
        if (!running.tryAcquire()) {
            context.response().putHeader("Retry-After", "60");
            answer(context, Problem.of("unavailable", "Service unavailable", 503,
                    "This instance already runs " + MAX_RUNNING + " backfills; retry later or on another instance."));
            return;
        }
        String name = key.substring(key.lastIndexOf('/') + 1, key.length() - ArchiveKeys.OBJECT_SUFFIX.length());
        String source = ("archive:" + name).substring(0, Math.min(128, name.length() + "archive:".length()));
        Log.infof("admin backfill %s of the archived object %s requested by %s",
                resumeId.map(r -> "resume of job " + r).orElse("replay"), key, who);
        workers.execute(() -> {
            try {
                replay(context, key, source, id);
            } finally {
                running.release();
            }
        });
    }

    /** On a worker thread: checks the archived object against its manifest, then runs it like an upload. */
    private void replay(RoutingContext context, String key, String source, Optional<Long> resumeId) {
        try {
            archive.verifyArchived(key);
        } catch (NoSuchFileException e) {
            answer(context, Problem.of("not-found", "Not found", 404,
                    "There is no archived object (with its manifest) at " + key + "."));
            return;
        } catch (ArchiveException e) {
            answer(context, Problem.of("archive-corrupt", "Unprocessable archive", 422,
                    "The archived object does not match its manifest; nothing was replayed. " + e.getMessage()));
            return;
        } catch (IOException | RuntimeException e) {
            Log.warnf("archived object %s could not be read: %s", key, e.toString());
            context.response().putHeader("Retry-After", "30");
            answer(context, Problem.of("unavailable", "Service unavailable", 503,
                    "The archive could not be read; retry later."));
            return;
        }
        InputStream object;
        try {
            object = archive.open(key);
        } catch (IOException e) {
            context.response().putHeader("Retry-After", "30");
            answer(context, Problem.of("unavailable", "Service unavailable", 503,
                    "The archive could not be read; retry later."));
            return;
        }
        try (InputStream in = object) {
            run(context, in, BackfillRunner.Format.ARCHIVE, true, source, resumeId, key);
        } catch (IOException e) {
            Log.debugf("closing the archived object %s: %s", key, e.toString());
        }
    }

    /** On a worker thread: create (or resume) the job, read the file to its end, finish the job, answer. */
    private void run(RoutingContext context, InputStream stream, BackfillRunner.Format format, boolean gzip,
            String source, Optional<Long> resumeId, String archiveKey) {
        BackfillJob job;
        try {
            Optional<BackfillJob> started = resumeId.isPresent()
                    ? await(() -> jobs.resume(resumeId.get()))
                    : Optional.of(await(() -> jobs.create(source, format.column())));
            if (started.isEmpty()) {
                answer(context, Problem.of("not-resumable", "Conflict", 409,
                        "Only an interrupted or failed backfill job can be resumed; this one is not (or does not "
                                + "exist)."));
                return;
            }
            job = started.get();
            if (resumeId.isPresent() && (archiveKey != null) != job.source.startsWith("archive:")
                    || archiveKey != null && !job.source.equals(source)) {
                await(() -> jobs.finish(job.id, BackfillJob.INTERRUPTED,
                        "resume refused: not the same archived object or upload"));
                answer(context, badRequest("job " + job.id + " read " + job.source
                        + "; resume it with the same archived object (archive=KEY) or the same file"));
                return;
            }
            if (!job.format.equals(format.column())) {
                await(() -> jobs.finish(job.id, BackfillJob.INTERRUPTED,
                        "resume refused: the file is not " + job.format));
                answer(context, badRequest("job " + job.id + " reads " + job.format + "; send the same file again"));
                return;
            }
        } catch (RuntimeException e) {
            Log.warnf("backfill could not start: %s", e.toString());
            context.response().putHeader("Retry-After", "5");
            answer(context, Problem.of("unavailable", "Service unavailable", 503,
                    "PostgreSQL is unavailable; retry later."));
            return;
        }
        String state = BackfillJob.COMPLETED;
        String error = null;
        try {
            CountingInputStream counted = new CountingInputStream(stream);
            InputStream decoded = gzip ? new GZIPInputStream(counted, 64 * 1024) : new BufferedInputStream(counted);
            runner.run(job.id, job.source, format, archiveKey, counted, decoded,
                    new Progress(job.lines, job.accepted, job.duplicates, job.rejected, 0));
        } catch (BronzeCopy.JobLost e) {
            state = BackfillJob.INTERRUPTED;
            error = e.getMessage();
        } catch (IOException e) {
            state = BackfillJob.FAILED;
            error = "the file could not be read to its end: " + e.getMessage();
        } catch (Exception e) {
            state = BackfillJob.FAILED;
            error = "landing failed: " + e.getMessage();
            Log.warnf(e, "backfill job %d failed", job.id);
        }
        String finalState = state;
        String finalError = error;
        Optional<BackfillJob> finished;
        try {
            finished = await(() -> jobs.finish(job.id, finalState, finalError));
        } catch (RuntimeException e) {
            Log.warnf("backfill job %d ended (%s) but could not be marked: %s", job.id, finalState, e.toString());
            finished = Optional.of(job);
        }
        Log.infof("backfill job %d %s", job.id, finalState);
        BackfillView view = BackfillView.of(finished.orElse(job));
        context.response().setStatusCode(202).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.LOCATION, PATH + "/" + job.id);
        if (!BackfillJob.COMPLETED.equals(finalState)) {
            context.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        context.response().end(json(view));
    }

    private static <T> T await(Supplier<Uni<T>> work) {
        try {
            return VertxContextSupport.subscribeAndAwait(work);
        } catch (Throwable e) {
            throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
        }
    }

    private void answer(RoutingContext context, Problem problem) {
        if (context.response().ended()) {
            return;
        }
        context.response().setStatusCode(problem.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(json(problem));
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write JSON", e);
        }
    }

    static Optional<BackfillRunner.Format> format(String contentType) {
        if (contentType == null) {
            return Optional.empty();
        }
        String type = contentType.split(";", 2)[0].strip().toLowerCase();
        return switch (type) {
            case "application/x-ndjson", "application/ndjson", "application/jsonl" ->
                Optional.of(BackfillRunner.Format.NDJSON);
            case "text/csv" -> Optional.of(BackfillRunner.Format.CSV);
            default -> Optional.empty();
        };
    }

    private static boolean gzip(String encoding) {
        return encoding.equals("gzip");
    }

    private static Optional<Long> parseId(String id) {
        try {
            return Optional.of(Long.parseLong(id));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Problem badRequest(String detail) {
        return Problem.of("bad-admin-request", "Bad request", 400, detail);
    }

    private static Problem notFound() {
        return Problem.of("not-found", "Not found", 404, "There is no backfill job with this id.");
    }
}
