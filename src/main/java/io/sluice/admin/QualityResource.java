package io.sluice.admin;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.logging.Log;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.sluice.error.Problem;
import io.sluice.error.Problems;
import io.sluice.quality.Expectation;
import io.sluice.quality.Expectations;
import io.sluice.quality.QualityResults;

/** {@code GET /v1/admin/quality}: each data-quality expectation's latest verdict and its history (SPEC section 12). */
@Path("/v1/admin/quality")
@Produces({MediaType.APPLICATION_JSON, Problem.MEDIA_TYPE})
@Tag(name = "Admin")
@SecurityRequirement(name = AdminResource.SCHEME)
public class QualityResource {

    static final int DEFAULT_HOURS = 24;
    static final int MAX_HOURS = 24 * 30;

    /** The answer: every expectation asked for. */
    public record Quality(List<QualityResults.Status> expectations) {
    }

    private static final class Refused extends RuntimeException {

        final transient Problem problem;

        Refused(Problem problem) {
            super(problem.detail(), null, false, false);
            this.problem = problem;
        }
    }

    private final QualityResults results;
    private final Expectations expectations;
    private final SecurityIdentity identity;

    public QualityResource(QualityResults results, Expectations expectations, SecurityIdentity identity) {
        this.results = results;
        this.expectations = expectations;
        this.identity = identity;
    }

    @GET
    @RolesAllowed({AdminRoles.READER, AdminRoles.OPERATOR})
    @Operation(summary = "Data-quality expectations", description = "Every configured expectation (or the one named by "
            + "expectation) with its latest verdict (pass, fail, no_data) and one result per hourly window of the "
            + "last hours (default 24, at most 720), newest first.")
    @APIResponse(responseCode = "200", description = "The expectations", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Quality.class)))
    @APIResponse(responseCode = "400", description = "hours out of range", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No expectation of that name", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Quality> quality(@QueryParam("expectation") String name, @QueryParam("hours") Integer hours) {
        int h = hours == null ? DEFAULT_HOURS : hours;
        if (h < 1 || h > MAX_HOURS) {
            throw new Refused(Problem.of("bad-admin-request", "Bad request", 400,
                    "hours must be between 1 and " + MAX_HOURS + "."));
        }
        List<Expectation> which = List.of();
        if (name != null && !name.isBlank()) {
            which = List.of(expectations.named(name).orElseThrow(() -> new Refused(Problem.of("not-found",
                    "Not found", 404, "There is no data-quality expectation named " + name + "."))));
        }
        Log.infof("admin data quality requested by %s", identity.getPrincipal().getName());
        return results.statuses(which, h).map(Quality::new);
    }

    @ServerExceptionMapper
    Response refused(Refused refused) {
        return Problems.response(refused.problem);
    }
}
