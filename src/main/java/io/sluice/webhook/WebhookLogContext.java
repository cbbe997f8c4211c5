package io.sluice.webhook;

import jakarta.ws.rs.container.ContainerRequestContext;

import org.jboss.logging.MDC;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Puts the partner and the delivery ({@code batch}: the webhook-id) of a webhook request in the logging context, so
 * every line logged while answering it (JSON logs in prod: the {@code mdc} object) says which partner and batch.
 */
public class WebhookLogContext {

    private static final String PREFIX = "/v1/webhooks/";
    private static final int MAX = 128;

    @ServerRequestFilter
    public void context(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith(PREFIX)) {
            return;
        }
        MDC.put("partner", clip(path.substring(PREFIX.length())));
        String webhookId = request.getHeaderString(WebhookResource.WEBHOOK_ID);
        if (webhookId != null) {
            MDC.put("batch", clip(webhookId));
        }
    }

    private static String clip(String value) {
        return value.length() <= MAX ? value : value.substring(0, MAX);
    }
}
