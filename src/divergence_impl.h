/* divergence_impl.h (not installed): what the files of the divergence module
 * (divergence.c, divergence_model.c) share. */
#ifndef ISSIM_DIVERGENCE_IMPL_H
#define ISSIM_DIVERGENCE_IMPL_H

#include "divergence.h"

/* *how = m unless how is NULL. */
void issim_divergence_set_how(issim_exact_method *how, issim_exact_method m);

/* x - log(1 + x) >= 0 for x > -1, accurate in relative terms near x = 0. */
double issim_divergence_x_minus_log1p(double x);

#endif
