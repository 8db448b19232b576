"""The event bus (Kafka protocol via aiokafka) and the stream-processor runtime."""
