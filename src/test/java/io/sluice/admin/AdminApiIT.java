package io.sluice.admin;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The admin API walk against the packaged jar: tokens, roles, lineage, paging and problem+json as shipped. */
@QuarkusIntegrationTest
class AdminApiIT extends AdminApiTest {
}
