package io.tributary.group;

/** One group as this node sees it: role here, leader, term, commit and applied index, queued appends. Immutable. */
public record GroupStatus(int index, String role, String leaderId, long term, long commitIndex, long appliedIndex,
    int pendingAppends) {}
