/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef THROWAWAY_SFTP_REFUSE_H
#define THROWAWAY_SFTP_REFUSE_H

/* Speak just enough sftp on in/out to fail every request with msg. */
int sftp_refuse(int in, int out, const char *msg);

#endif
