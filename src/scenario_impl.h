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
  issim_scenario_limits limits;
} builder;

ISSIM_INTERNAL int scenario_entry_error(builder *b, const entry *e, const issim_error *inner);
ISSIM_INTERNAL const char *scenario_get(section *sec, const char *key, int *line);
ISSIM_INTERNAL int scenario_unknown_key(builder *b, section *sec, const entry *e, const char *known);
ISSIM_INTERNAL int scenario_unknown_keys(builder *b, section *sec, const char *known);
ISSIM_INTERNAL char *scenario_unquote(const char *v);
ISSIM_INTERNAL int scenario_is_multivariate_family(const char *family);
ISSIM_INTERNAL int scenario_get_vector(builder *b, section *sec, const char *key, size_t d, double dflt, double *out);
ISSIM_INTERNAL int scenario_build_model(builder *b, section *sec, const char *family, int dline, size_t d, issim_model **out);
ISSIM_INTERNAL int scenario_build_dist(builder *b, section *sec, issim_model **out, int allow_target, int *is_target);
ISSIM_INTERNAL int scenario_build_target(builder *b, section *sec);
/* scenario_levels.c: the threshold list (the main threshold and the levels)
 * and the quantiles, once the target and the loss are known. */
ISSIM_INTERNAL int scenario_resolve_levels(builder *b);
ISSIM_INTERNAL int scenario_resolve_quantiles(builder *b);

/* scenario_credit.c: credit-portfolio targets and their proposals. */
ISSIM_INTERNAL int scenario_is_credit_family(const char *family);
ISSIM_INTERNAL const issim_credit_law *scenario_credit_law(const issim_scenario *s);
ISSIM_INTERNAL int scenario_build_credit_target(builder *b, section *sec);
ISSIM_INTERNAL int scenario_build_credit_loss(builder *b);
ISSIM_INTERNAL int scenario_build_credit_proposal(builder *b, section *sec, const char *family,
                                                  issim_proposal *p);
ISSIM_INTERNAL int scenario_check_credit_proposal(builder *b, const char *family, int line);
/* scenario_loss.c: loss = plugin and loss = command.  A command's batch may
 * take this many seconds by default (the timeout key). */
#define ISSIM_SCENARIO_COMMAND_TIMEOUT 600.0
/* Is key one of the plugin's or the command's keys? */
ISSIM_INTERNAL int scenario_user_loss_key(const char *key);
/* [event] variables into s->variables (the dimension known); 1 when absent
 * or good, else 0 with the message at its line.  Not with a credit target. */
ISSIM_INTERNAL int scenario_read_variables(builder *b, section *sec);
/* The first such key in sec that loss `loss` (a kind's name) does not take,
 * as an error (0); 1 when there is none. */
ISSIM_INTERNAL int scenario_check_user_loss_keys(builder *b, section *sec, const char *loss);
/* The event's loss from sec for loss = plugin or command (kind: the loss
 * entry); 0 on an error (recorded). */
ISSIM_INTERNAL int scenario_build_user_loss(builder *b, section *sec, const entry *kind);

#endif
