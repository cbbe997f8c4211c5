package io.sluice.archive;

import java.util.List;

import io.quarkus.test.junit.QuarkusTestProfile;

/** The archive on its s3 target, an S3Mock server started for the profile. */
public class S3ArchiveProfile implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(S3MockResource.class));
    }
}
