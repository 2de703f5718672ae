/*
 * report_text.h - a finished dp_profile as the human text report.
 *
 * `dagprof report --output text` and the daemon's text sink render profiles
 * through this writer. The layout is the seed's "Performance Report": a
 * YAML document under "performanceProfile:" (header, summary, metrics,
 * nodeBreakdown, bottlenecks, optimizations) ending with the two ASCII
 * charts under "visualization:".
 */
#ifndef DP_EXPORTER_REPORT_TEXT_H
#define DP_EXPORTER_REPORT_TEXT_H

#include "buf.h"
#include "processor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends the text report of p to out; p is only read. width is the
 * terminal width in columns: <= 0 means 80, values below 60 are raised to
 * 60 and values above 512 lowered to 512. Every line fits within width code
 * points; bars and boxes scale to it. Returns 0, DP_EINVAL (NULL argument)
 * or DP_ENOMEM; on error out keeps its previous contents.
 * O(size of p + lines x width). */
int dp_report_text_write(dp_buf *out, const dp_profile *p, int width);

#ifdef __cplusplus
}
#endif

#endif /* DP_EXPORTER_REPORT_TEXT_H */
