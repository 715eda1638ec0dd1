# man pages
dist_man_MANS += doc/tandemd.8
dist_man_MANS += doc/tandemctl.8
EXTRA_DIST += doc/sofia-sip.md doc/websocket.md
# tandem.conf(5) is generated from the config schema, so it cannot drift from
# the keys the loader accepts.
nodist_man5_MANS = doc/tandem.conf.5
CLEANFILES += doc/tandem.conf.5
doc/tandem.conf.5: src/core/gen_confman$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) doc && src/core/gen_confman$(EXEEXT) > $@.tmp && mv $@.tmp $@
EXTRA_DIST += doc/webrtc.md
