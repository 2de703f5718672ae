/*
 * trace_file.h - reads a file of OTLP trace requests (OTLP/JSON lines as the
 * OpenTelemetry Collector's file exporter writes them, one pretty-printed
 * JSON document, or protobuf ExportTraceServiceRequest messages, length-
 * delimited or bare) and feeds every span through the OTLP decoders to the
 * context's sink. Used by `dagprof report`.
 */
#ifndef DP_TRACE_FILE_H
#define DP_TRACE_FILE_H

#include "chunk_in.h"
#include "otlp_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

enum dp_trace_format { DP_FORMAT_AUTO, DP_FORMAT_JSON, DP_FORMAT_PROTO };

/* Parses "auto", "json" or "proto" (also "protobuf", "otlp-json",
 * "otlp-proto"); returns the format or DP_EINVAL. */
int dp_trace_format_parse(const char *name);

/* Reads path ("-" is stdin) in format (enum dp_trace_format) and delivers
 * every span to ctx->sink, in file order.
 *
 * JSON: one ExportTraceServiceRequest object per line, blank lines ignored;
 * ctx->where is "<path>:<line>" while a line decodes. A malformed line gives
 * one message naming file and line and is skipped. When the first non-blank
 * line is not a complete JSON value the file is one pretty-printed document
 * (or several, one after the other); a top-level array holds requests.
 * PROTO: varint-length-delimited messages when the whole file splits into
 * frames that each decode, else one bare message; ctx->where is
 * "<path>: message N (offset X)".
 * AUTO: JSON when the first non-whitespace byte is '{' or '[', else PROTO.
 *
 * Returns 0 when everything was read (spans may have been rejected: the
 * counts in ctx tell), DP_EIO when the file cannot be opened or read (one
 * message with the file and strerror), DP_EPARSE when any part was
 * malformed (the rest was still delivered), DP_EINVAL, DP_ENOMEM. ctx->where
 * is restored before returning.
 *
 * Memory is the largest record, not the file: the input is read in chunks
 * (chunk_in.h) and each record is decoded and dropped: a JSON line, a
 * pretty-printed document (a top-level array of requests is one
 * document), a protobuf frame. A protobuf input longer than 8 MiB is
 * classified (delimited or bare) from its first 8 MiB; a bare message that
 * long is decoded one resource_spans field at a time ("<path>: message 1,
 * resource_spans N (offset X)"), so a damaged field loses only its spans. */
int dp_trace_file_read(const char *path, int format, dp_decode_ctx *ctx);

typedef struct dp_trace_file_opts {
    /* Called before each record (JSON line or document, protobuf frame or
     * resource_spans field) is decoded, with the input offset where it
     * starts: a clock in bytes of input for the caller. May be NULL. */
    void (*on_record)(void *user, uint64_t offset);
    void *user;
    /* Deliver only the attributes the processor reads
     * (dp_processor_attr_wanted), as serve does; false: every attribute. */
    bool wanted_attrs_only;
    /* Bytes of a protobuf input that decide delimited or bare when it is
     * longer (0: 8 MiB). Tests and fuzzing set it small. */
    size_t proto_lookahead;
} dp_trace_file_opts;

/* dp_trace_file_read on an input the caller opened (and closes), which may
 * already have been looked at (nothing consumed); name is used in messages
 * ("stdin" for standard input). opts may be NULL. */
int dp_trace_file_read_in(dp_chunk_in *in, const char *name, int format,
                          dp_decode_ctx *ctx, const dp_trace_file_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* DP_TRACE_FILE_H */
