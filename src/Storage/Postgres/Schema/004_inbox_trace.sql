-- The W3C trace context of the webhook that carried each event, so the turn that consumes it
-- joins that trace across the durable inbox (null when the gateway was not tracing).
alter table inbox add column trace_parent text;
