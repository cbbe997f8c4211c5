package io.sluice.backfill;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.smallrye.mutiny.Uni;
import io.sluice.bronze.BackfillJobs;
import io.sluice.error.Problem;
import io.sluice.error.Problems;

/**
 * Reading backfill jobs ({@code GET /v1/admin/backfills}, {@code GET /v1/admin/backfills/{id}}), behind the admin
 * bearer tokens. Uploads are {@link BackfillRoute} (a Vert.x route: a streamed body of any size).
 */
@Path("/v1/admin/backfills")
@Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
@Tag(name = "Backfill", description = "Historical events from NDJSON or CSV files, landed by COPY")
public class BackfillResource {

    static final String READER = "sluice-reader";
    static final String OPERATOR = "sluice-operator";

    private final BackfillJobs jobs;

    public BackfillResource(BackfillJobs jobs) {
        this.jobs = jobs;
    }

    @GET
    @RolesAllowed({READER, OPERATOR})
    @Operation(summary = "Backfill jobs", description = "The newest jobs first (at most limit, default 50).")
    @APIResponse(responseCode = "200", description = "Jobs", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BackfillView.Page.class)))
    public Uni<Response> list(@QueryParam("limit") String limit) {
        int size;
        try {
            size = limit == null || limit.isBlank() ? 50 : Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            size = -1;
        }
        if (size < 1 || size > 500) {
            return Uni.createFrom().item(Problems.response(Problem.of("bad-admin-request", "Bad request", 400,
                    "limit must be an integer from 1 to 500")));
        }
        return jobs.newest(size).map(list -> Response.ok(
                new BackfillView.Page(list.stream().map(BackfillView::of).toList())).build());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({READER, OPERATOR})
    @Operation(summary = "One backfill job", description = "State, lines read, accepted, duplicates, rejected, bytes, rate.")
    @APIResponse(responseCode = "200", description = "The job", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BackfillView.class)))
    @APIResponse(responseCode = "404", description = "No such job", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Response> get(@PathParam("id") String id) {
        long jobId;
        try {
            jobId = Long.parseLong(id);
        } catch (NumberFormatException e) {
            return Uni.createFrom().item(notFound());
        }
        return jobs.find(jobId).map(job -> job.map(j -> Response.ok(BackfillView.of(j)).build())
                .orElseGet(BackfillResource::notFound));
    }

    private static Response notFound() {
        return Problems.response(Problem.of("not-found", "Not found", 404, "There is no backfill job with this id."));
    }
}
