/* scenario_impl.h (internal, not installed): what the parts of the
 * scenario reader share: the builder of pass 2 and its helpers.  scenario.c
 * reads the sections' meaning; scenario_laws.c builds the distributions and
 * models a section describes. */
#ifndef ISSIM_SCENARIO_IMPL_H
#define ISSIM_SCENARIO_IMPL_H

#include "inifile.h"
#include "scenario.h"

#define ISSIM_INTERNAL __attribute__((visibility("hidden")))

/* Pass 1, the syntax, is inifile.h's. */
typedef issim_inifile_entry entry;
typedef issim_inifile_section section;
typedef issim_inifile reader;

/* ---------------------------------------------------------------------------
 * Pass 2: the sections' meaning.
 * ------------------------------------------------------------------------- */

typedef struct {
  reader *r;
  issim_scenario *s;
  int threshold_line;
  section *target_sec, *event_sec;
  const char *threshold_text;  /* resolved once the target and the loss are known */
  int threshold_from_option;   /* threshold_text is --threshold's (issim_scenario_overrides) */
  const char *quantile_text;   /* [event] quantile or --quantile; NULL: none */
  int quantile_line, quantile_from_option;
  section **deferred;          /* proposals built after the others: shifted-target, mixture */
  size_t n_deferred;
  int use_models;              /* a multivariate target or a mixture proposal */
} builder;

ISSIM_INTERNAL int scenario_entry_error(builder *b, const entry *e, const issim_error *inner);
ISSIM_INTERNAL const char *scenario_get(section *sec, const char *key, int *line);
ISSIM_INTERNAL int scenario_unknown_key(builder *b, section *sec, const entry *e, const char *known);
ISSIM_INTERNAL int scenario_unknown_keys(builder *b, section *sec, const char *known);
ISSIM_INTERNAL char *scenario_unquote(const char *v);
ISSIM_INTERNAL int scenario_is_multivariate_family(const char *family);
ISSIM_INTERNAL int scenario_get_vector(builder *b, section *sec, const char *key, size_t d, double dflt, double *out);
ISSIM_INTERNAL int scenario_build_model(builder *b, section *sec, const char *family, int dline, size_t d, issim_model **out);
ISSIM_INTERNAL int scenario_build_dist(builder *b, section *sec, issim_dist **out, int allow_target, int *is_target);
ISSIM_INTERNAL int scenario_build_target(builder *b, section *sec);
/* scenario_levels.c: the threshold list (the main threshold and the levels)
 * and the quantiles, once the target and the loss are known. */
ISSIM_INTERNAL int scenario_resolve_levels(builder *b);
ISSIM_INTERNAL int scenario_resolve_quantiles(builder *b);

#endif
