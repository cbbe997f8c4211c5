package io.sluice.admin;

/** The roles of the admin API. */
public final class AdminRoles {

    /** Reads lineage, rejected and quarantined events. */
    public static final String READER = "sluice-reader";
    /** Changes state: requeues quarantined events, replays bronze ranges. */
    public static final String OPERATOR = "sluice-operator";

    private AdminRoles() {
    }
}
