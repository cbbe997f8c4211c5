package io.sluice.webhook;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The same webhook walk, against the packaged jar. */
@QuarkusIntegrationTest
class WebhookSkeletonIT extends WebhookSkeletonTest {
}
