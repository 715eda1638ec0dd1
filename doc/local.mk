# man pages
dist_man_MANS += doc/tandemd.8
dist_man_MANS += doc/tandemctl.8
