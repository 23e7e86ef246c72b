# SPDX-License-Identifier: GPL-2.0
#
# Rust bindings for the C headers a tcm-rs module needs and the kernel's own
# `bindings` crate does not cover (SCSI, sockets, ...). Included from a
# module's Kbuild; the module keeps its header list in
# bindings/bindings_helper.h and its bindgen options in bindings/bindgen_parameters.
#
# The C flags are the ones the kernel build uses for a C file of this module,
# adjusted for libclang the way rust/Makefile does for GCC-built kernels, so
# that the generated layouts are the layouts GCC compiled the kernel with
# (the KUnit suite in target_core checks sizes and offsets against C).

ifdef CONFIG_CC_IS_CLANG
tcm_bindgen_c_flags = $(c_flags)
else
# Flags GCC understands and libclang does not: the list in rust/Makefile.
tcm_bindgen_skip_c_flags := -mno-fp-ret-in-387 -mpreferred-stack-boundary=% \
	-mskip-rax-setup -mgeneral-regs-only -msign-return-address=% \
	-mindirect-branch=thunk-extern -mindirect-branch-register \
	-mfunction-return=thunk-extern -mrecord-mcount -mabi=lp64 \
	-mindirect-branch-cs-prefix -mstack-protector-guard% -mtraceback=no \
	-mno-pointers-to-nested-functions -mno-string \
	-mno-strict-align -mstrict-align -mdirect-extern-access \
	-mexplicit-relocs -mno-check-zero-division \
	-fconserve-stack -falign-jumps=% -falign-loops=% \
	-femit-struct-debug-baseonly -fno-ipa-cp-clone -fno-ipa-sra \
	-fno-partial-inlining -fplugin-arg-arm_ssp_per_task_plugin-% \
	-fno-reorder-blocks -fno-allow-store-data-races -fasan-shadow-offset=% \
	-fzero-call-used-regs=% -fno-stack-clash-protection \
	-fno-inline-functions-called-once -fsanitize=bounds-strict \
	-fstrict-flex-arrays=% -fmin-function-alignment=% \
	-fzero-init-padding-bits=% -mno-fdpic \
	-fdiagnostics-show-context -fdiagnostics-show-context=% \
	--param=% --param asan-% -fno-isolate-erroneous-paths-dereference \
	-ffixed-r2 -mmultiple -mno-readonly-in-sdata
tcm_bindgen_target_x86 := x86_64-linux-gnu
tcm_bindgen_target_arm64 := aarch64-linux-gnu
tcm_bindgen_c_flags = $(filter-out $(tcm_bindgen_skip_c_flags), $(c_flags)) \
	-w --target=$(tcm_bindgen_target_$(SRCARCH))
endif

# Items come only from the headers the module's parameters allow; everything
# they refer to resolves to the kernel's own `bindings` crate, so a
# `struct device *` here is the same type as in `kernel::bindings`.
quiet_cmd_tcm_bindgen = BINDGEN $@
      cmd_tcm_bindgen = \
	$(BINDGEN) $< --rust-target 1.85 \
		--use-core --with-derive-default --ctypes-prefix kernel::ffi \
		--no-layout-tests --no-debug '.*' --enable-function-attribute-detection \
		--no-recursive-allowlist --raw-line 'use kernel::bindings::*;' \
		$(shell grep -Ev '^\#|^$$' $(src)/bindings/bindgen_parameters) \
		-o $@ -- $(tcm_bindgen_c_flags) -fno-builtin -D__BINDGEN__ -DMODULE \
		-I$(src)

$(obj)/bindings/bindings_generated.rs: $(src)/bindings/bindings_helper.h \
		$(src)/bindings/bindgen_parameters FORCE
	$(call if_changed_dep,tcm_bindgen)

targets += bindings/bindings_generated.rs

# Rust sources find the generated file through this variable, which works
# whether the module is built in its source tree or with MO= elsewhere.
rustflags-y += --env-set TCM_RS_OBJ=$(abspath $(obj))
