package io.sluice.admin;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.logging.Log;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.sluice.admin.AdminReads.RejectedFilter;
import io.sluice.admin.AdminViews.Lineage;
import io.sluice.admin.AdminViews.QuarantinedPage;
import io.sluice.admin.AdminViews.RejectedPage;
import io.sluice.admin.AdminViews.CursorMove;
import io.sluice.admin.AdminViews.Requeued;
import io.sluice.admin.AdminViews.Source;
import io.sluice.admin.AdminViews.Sources;
import io.sluice.bronze.PullSourceState;
import io.sluice.bronze.PullSourceStore;
import io.sluice.error.Problem;
import io.sluice.error.Problems;
import io.sluice.promotion.Replays;

/**
 * The admin door (SPEC.md section 8): read-only views for operators, behind bearer tokens with roles
 * ({@link AdminTokenMechanism}), apart from partner authentication.
 */
@Path("/v1/admin")
@Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
@Tag(name = "Admin", description = "Operators' view of the pipeline: lineage, rejected and quarantined events")
@SecurityScheme(securitySchemeName = AdminResource.SCHEME, type = SecuritySchemeType.HTTP, scheme = "bearer", description = "A token configured as sluice.admin.tokens.<name>.token, with roles sluice-reader / sluice-operator")
@SecurityRequirement(name = AdminResource.SCHEME)
@APIResponse(responseCode = "401", description = "No token, or an unknown one", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "403", description = "The token lacks the role", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class AdminResource {

    static final String SCHEME = "admin-token";
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    private static final Set<String> CHANNELS = Set.of("webhook", "kafka", "pull", "file");

    /** A request the admin API refuses, answered as problem+json. */
    static final class Refused extends RuntimeException {

        final transient Problem problem;

        Refused(Problem problem) {
            super(problem.detail(), null, false, false);
            this.problem = problem;
        }
    }

    private final AdminReads reads;
    private final Replays replays;
    private final SecurityIdentity identity;
    private final PullSourceStore sources;

    public AdminResource(AdminReads reads, Replays replays, SecurityIdentity identity, PullSourceStore sources) {
        this.reads = reads;
        this.replays = replays;
        this.identity = identity;
        this.sources = sources;
    }

    @GET
    @Path("/sources")
    @RolesAllowed({AdminRoles.READER, AdminRoles.OPERATOR})
    @Operation(summary = "Pull sources", description = "Every pull source known to the database: its cursor, last "
            + "successful page, last error, whether it is failing, and the events and pages pulled so far.")
    @APIResponse(responseCode = "200", description = "The sources, by name", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Sources.class)))
    public Uni<Sources> sources() {
        audit("pull sources");
        return sources.all().map(states -> new Sources(states.stream().map(AdminResource::view).toList()));
    }

    @POST
    @Path("/sources/{name}/cursor")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(AdminRoles.OPERATOR)
    @Operation(summary = "Move a pull source's cursor", description = "Rewinds or skips: the next page is pulled "
            + "from this cursor (null: from the API's beginning). Clears the failing flag. Events pulled twice are "
            + "duplicates that silver absorbs by event_id.")
    @APIResponse(responseCode = "200", description = "The source after the move", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Source.class)))
    @APIResponse(responseCode = "400", description = "No JSON body, or a cursor over 4096 characters", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No pull source of that name", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Source> moveCursor(@PathParam("name") String name, CursorMove move) {
        if (move == null) {
            throw badRequest("the body must be a JSON object such as {\"cursor\": \"abc\"}");
        }
        if (move.cursor() != null && move.cursor().length() > 4096) {
            throw badRequest("cursor must be at most 4096 characters");
        }
        audit("cursor move of pull source " + name);
        return sources.moveCursor(name, move.cursor())
                .map(state -> view(state.orElseThrow(() -> new Refused(Problem.of("not-found", "Not found", 404,
                        "There is no pull source named " + name + ".")))));
    }

    private static Source view(PullSourceState state) {
        return new Source(state.name, state.cursor, state.cursorUpdatedAt, state.lastSuccessAt, state.lastError,
                state.lastErrorAt, state.failing, state.events, state.pages);
    }

    @GET
    @Path("/events/{eventId}/lineage")
    @RolesAllowed({AdminRoles.READER, AdminRoles.OPERATOR})
    @Operation(summary = "Lineage of an event", description = "Every bronze delivery, reject, the silver row, its "
            + "order items, gold facts and any quarantine entry of one event_id. Payloads and personal data stay out.")
    @APIResponse(responseCode = "200", description = "What Sluice holds for the event_id", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Lineage.class)))
    @APIResponse(responseCode = "400", description = "Not a possible event_id", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "Sluice holds nothing for this event_id", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Lineage> lineage(@PathParam("eventId") String eventId) {
        if (eventId.isBlank() || eventId.length() > 256) {
            throw badRequest("event_id must be 1 to 256 characters");
        }
        MDC.put("event_id", eventId);
        audit("lineage of " + eventId);
        return reads.lineage(eventId)
                .invoke(lineage -> {
                    if (lineage.isEmpty()) {
                        throw new Refused(Problem.of("not-found", "Not found", 404,
                                "Sluice holds no delivery, reject or row for this event_id."));
                    }
                });
    }

    @GET
    @Path("/rejected")
    @RolesAllowed({AdminRoles.READER, AdminRoles.OPERATOR})
    @Operation(summary = "Rejected events", description = "Readable but invalid events (bronze.rejected_events), "
            + "newest first, with their violations. Page with limit and the next_cursor of the previous page.")
    @APIResponse(responseCode = "200", description = "One page", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = RejectedPage.class)))
    @APIResponse(responseCode = "400", description = "A filter or paging parameter is invalid", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RejectedPage> rejected(
            @Parameter(description = "partner or topic") @QueryParam("source") String source,
            @Parameter(description = "webhook or kafka") @QueryParam("channel") String channel,
            @Parameter(description = "invalid, malformed or unstorable") @QueryParam("reason") String reason,
            @Parameter(description = "received at or after (RFC 3339)") @QueryParam("from") String from,
            @Parameter(description = "received before (RFC 3339)") @QueryParam("to") String to,
            @Parameter(description = "page size, 1 to 500 (default 50)") @QueryParam("limit") String limit,
            @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor") String cursor) {
        if (channel != null && !CHANNELS.contains(channel)) {
            throw badRequest("channel must be webhook, kafka, pull or file");
        }
        RejectedFilter filter = new RejectedFilter(Optional.ofNullable(source), Optional.ofNullable(channel),
                Optional.ofNullable(reason), time("from", from), time("to", to));
        audit("rejected events");
        return reads.rejected(filter, cursor(cursor), limit(limit));
    }

    @GET
    @Path("/quarantine")
    @RolesAllowed({AdminRoles.READER, AdminRoles.OPERATOR})
    @Operation(summary = "Quarantined events", description = "Events whose promotion failed too often "
            + "(bronze.quarantine), newest bronze row first. Page with limit and next_cursor.")
    @APIResponse(responseCode = "200", description = "One page", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = QuarantinedPage.class)))
    @APIResponse(responseCode = "400", description = "A filter or paging parameter is invalid", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<QuarantinedPage> quarantine(
            @Parameter(description = "quarantined at or after (RFC 3339)") @QueryParam("from") String from,
            @Parameter(description = "quarantined before (RFC 3339)") @QueryParam("to") String to,
            @Parameter(description = "page size, 1 to 500 (default 50)") @QueryParam("limit") String limit,
            @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor") String cursor) {
        audit("quarantined events");
        return reads.quarantined(time("from", from), time("to", to), cursor(cursor), limit(limit));
    }

    @POST
    @Path("/quarantine/requeue")
    @RolesAllowed(AdminRoles.OPERATOR)
    @Operation(summary = "Requeue quarantined events", description = "Moves quarantined events (one event_id, or all "
            + "when none is given) back to the promotion queue with fresh attempts. Do it once the cause is fixed.")
    @APIResponse(responseCode = "200", description = "How many events went back to the queue", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Requeued.class)))
    @APIResponse(responseCode = "400", description = "Not a possible event_id", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Requeued> requeue(
            @Parameter(description = "only this event (default: all)") @QueryParam("event_id") String eventId) {
        if (eventId != null && (eventId.isBlank() || eventId.length() > 256)) {
            throw badRequest("event_id must be 1 to 256 characters");
        }
        audit("requeue of " + (eventId == null ? "all quarantined events" : eventId));
        return replays.requeue(Optional.ofNullable(eventId)).map(Requeued::new);
    }

    @POST
    @Path("/replay")
    @RolesAllowed(AdminRoles.OPERATOR)
    @Operation(summary = "Replay a bronze range", description = "Re-promotes the bronze rows received in [from, to), "
            + "of one source (partner or topic) or all. Converges to the same silver and gold as a first promotion.")
    @APIResponse(responseCode = "200", description = "How many bronze rows went back to the queue", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Requeued.class)))
    @APIResponse(responseCode = "400", description = "from/to missing, malformed or not in order", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Requeued> replay(
            @Parameter(description = "received at or after (RFC 3339)", required = true) @QueryParam("from") String from,
            @Parameter(description = "received before (RFC 3339)", required = true) @QueryParam("to") String to,
            @Parameter(description = "partner or topic (default: all)") @QueryParam("source") String source) {
        OffsetDateTime start = time("from", from).orElseThrow(() -> badRequest("from is required"));
        OffsetDateTime end = time("to", to).orElseThrow(() -> badRequest("to is required"));
        if (!start.isBefore(end)) {
            throw badRequest("from must be before to");
        }
        audit("replay of " + start + " .. " + end + (source == null ? "" : " from " + source));
        return replays.replay(start, end, Optional.ofNullable(source)).map(Requeued::new);
    }

    @ServerExceptionMapper
    public Response refused(Refused refused) {
        return Problems.response(refused.problem);
    }

    private void audit(String what) {
        Log.infof("admin %s requested by %s", what, identity.getPrincipal().getName());
    }

    private static Optional<OffsetDateTime> time(String name, String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(value));
        } catch (DateTimeParseException e) {
            throw badRequest(name + " must be an RFC 3339 time with offset, e.g. 2026-11-21T00:00:00Z");
        }
    }

    private static int limit(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw badRequest("limit must be an integer from 1 to " + MAX_LIMIT);
    }

    private static Optional<Long> cursor(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw badRequest("cursor must be the next_cursor of a previous page");
        }
    }

    private static Refused badRequest(String detail) {
        return new Refused(Problem.of("bad-admin-request", "Bad request", 400, detail));
    }
}
