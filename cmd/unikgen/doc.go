/*
Unikgen compiles an ordinary Go main package and the unikgen library OS into a standalone x86-64
kernel with a Xen PVH entry point, and boots it under QEMU.

Usage:

	unikgen <command> [arguments]

The commands are:

	build [-o FILE] [-m MiB] [-deploy FORMATS] [PACKAGE]
		Build the kernel image of PACKAGE (default ".") and print its size in the file and in
		memory (the loaded segments, .bss included) and the smallest memory it boots in (its loaded part, plus 1.5 MiB for the kernel and the Go runtime
		to start; the program's own needs come on top). The image is
		written to FILE, by default the package's last import path element plus ".xen" in
		the current directory; when FILE is a directory, into it under that name. As go build
		does, build refuses (exit 2, before building) to overwrite a file that is not an ELF
		file (say -o main.go) or an xl.cfg it did not write, and a FILE in a directory that
		does not exist. The package's source tree is never written to.
		Beside the image, with its extension replaced by ".xl" (hello.xen: hello.xl), build
		writes an xl.cfg for Xen and prints its path: type "pvh", the image's absolute path,
		memory (-m, else config.Kernel.MemoryMiB, default 128), 1 vCPU, the cmdline of the
		configuration's boot-time defaults (Args, Env) if any, on_crash "preserve". Start it
		on a Xen host with xl create -c hello.xl. A -target qemu kernel gets no xl.cfg.
		-xl-kernel PATH writes PATH as the kernel instead, for a Xen host that sees the image
		elsewhere; a ./ or ../ PATH stays relative (xl resolves it against its working
		directory, not the file's).
		A memory (-m or MemoryMiB) below the image's smallest is refused (exit 2).
		-deploy libvirt,firecracker,cloud-hypervisor also writes, beside the image, a libvirt
		domain (NAME.libvirt.xml, direct kernel boot, q35), a Firecracker configuration
		(NAME.firecracker.json, for --config-file) and a Cloud Hypervisor command line
		(NAME.cloud-hypervisor.sh), each with the image's absolute path, the memory, 1 vCPU,
		the cmdline, a virtio network device when the program uses sockets, and, when it
		uses block devices, its disks as virtio block devices in order (-disk PATH[:ro],
		else NAME.img beside the image if it exists; vda first).

	run [flags] [PACKAGE] [-- ARGS...]
		Build PACKAGE into a temporary directory and boot it under QEMU. The program's stdout
		and stderr (a virtio console) and the kernel's messages (the serial console) go to
		standard output; unikgen's standard input is the program's, which reads end of file
		when it ends (none from a terminal); ARGS become os.Args[1:].
		Flags:
			-m MiB            guest memory (default config.Kernel.MemoryMiB,
			                  else 128); less than the image needs is
			                  refused before booting, and so is more than
			                  4096 (the kernel uses only memory below 4 GiB)
			                  or, under -target xen, than 1200 (what the
			                  nested machine leaves)
			-timeout D        kill the guest after D (default 60s); 0 means no
			                  limit, a negative D is refused
			-accel tcg|kvm    QEMU accelerator (default tcg)
			-machine microvm|q35
			                  QEMU machine (default microvm, booted by qboot)
			-env KEY=VALUE    an environment variable of the program (repeatable)
			-gdb[=HOST:PORT]  start QEMU stopped (-S) with a gdb stub at HOST:PORT
			                  (default localhost:1234), and print on standard error
			                  the gdb command line that debugs the image: its DWARF,
			                  source paths mapped back from -trimpath (directory
			                  GOROOT/src and GOMODCACHE; set substitute-path for the
			                  main module and modules replaced by a directory, from
			                  the image's build information); -timeout
			                  defaults to none; not with -target xen
			-p [HOSTADDR:]HOSTPORT:GUESTPORT[/udp]
			                  forward a host port to the guest (user networking)
			-volume HOSTFILE:PATH[:SIZE]
			                  mount the ext3 image HOSTFILE at PATH as a persistent
			                  volume (repeatable; PATH joins config.Kernel.Volumes);
			                  a missing HOSTFILE is created and formatted, SIZE
			                  bytes with K, M or G (default 64M)
			-disk FILE[:ro]   a raw disk image as a block device (/dev/vdX, after
			                  the volumes' devices)
		With -target xen (or config.Kernel{Target: config.Xen}) run boots the image as a PVH
		domain of real Xen 4.17 nested in QEMU TCG (internal/host/xenlab), for users without a
		Xen host: the PV console goes to standard output, standard input is read to its end
		(at most 16 MiB) before the boot and given to the program, ENV and ARGS travel on the domain's
		cmdline, and run exits with the status the kernel published in xenstore. The first
		such run builds the harness (Xen, a dom0 kernel and the Xen tools from Debian
		packages, about 77 MB, into $UNIKGEN_XENLAB_CACHE or ~/.cache/unikgen/xenlab) and says
		so on standard error; a run then takes 15-40 s. -timeout is how long the domain may
		run (whole seconds, 0 for no limit; booting Xen and dom0 comes on top); -accel and -machine do not
		apply. A crashed or rebooted guest exits 1 and names the console and Xen logs.

	test [flags] [PACKAGES] [-- TEST FLAGS]
		Run the tests of PACKAGES (default ".") inside kernels, as go test does on Linux: each
		package's test binary (go test -c) is built with the library OS and the generic kernel
		(every component, every system call: the analysis starts from a main package, and a
		test binary's main is generated by the go command) and booted under QEMU, one package
		after another. The package directory's files and the testdata directories of the
		package and of its parents up to the module root are baked in as the read-only root file system at their own paths (a package under /tmp: under /unikgen-test),
		the test binary starts in the package directory, and /tmp is writable (in memory).
		The output and the exit status are go test's: "ok  <tab>PKG<tab>0.120s", the output of
		a failing package then "FAIL<tab>PKG<tab>...", "?   <tab>PKG<tab>[no test files]", a last
		"FAIL" line when several packages ran and one failed; 0 when all passed, 1 otherwise,
		2 for a usage error. Examples run as under go test (their output is captured through a
		pipe, which the library OS serves). Not supported:
		tests that write into the package directory, start processes (os/exec) or read other
		files. go test's vet checks run (go test -c runs them).
		Flags (go test's meaning): -run REGEXP, -skip REGEXP, -v, -count N, -short, -timeout D
		(default 10m, 0 for none); -m MiB (guest memory, default 512), -accel tcg|kvm.
		TEST FLAGS after -- go to every test binary as they are (-test.bench=. ...).

	explain [-json] [-why NAME] [-size] [-dot] [-html FILE] [PACKAGE]
		Print the kernel plan of PACKAGE: the components in and out, with the call path from
		main that puts each one in; the system calls by name, with their handlers and the
		reachable calls that will fail with ENOSYS; reachable uses of unsupported APIs (exit
		status 1 when there are any). -json prints the plan as JSON. -why NAME prints the call
		path from main to a component, capability, system call ("syscall:openat"), function or
		package. -size builds the image and prints its bytes in the file and in memory by
		section, by component (the plan's components, each with the packages only it imports;
		the program, the library OS, the Go runtime, the standard library, other modules and
		the linker's own data as groups) and by package, from the image's symbols; DWARF and
		symbol tables count in the file only, .bss and .noptrbss in memory only, and the
		zero tail (BSS that the loader does not place; the kernel maps it when touched) apart. -dot prints the component graph for
		Graphviz (unikgen explain -dot | dot -Tsvg > kernel.svg), each edge labelled with its
		witness. -html FILE builds the image and writes a self-contained page with a treemap
		of the image and the component graph (click an edge for its witness).

	generate [PACKAGE]
		Write the record of the plan, unikgen_kernel.json, into the package directory; meant for
		//go:generate go tool unikgen generate. The build never reads it: it is for review.

	diff [PACKAGE]
		Print a unified diff between the record in the package directory and a fresh one; exit
		0 when it is fresh, 1 when it is stale, 2 on trouble.

	The generator's flags, accepted by build, run, explain, generate and diff:
			-generic          every component and every system call, without analysis
			-target T         qemu, xen or any (overrides config.Kernel.Target)
			-name NAME        os.Args[0] (overrides config.Kernel.Name)
			-debug-syscalls   print each system call answered with ENOSYS, once
			-tags T1,T2       build tags, for the analysis and go build
			-ldflags FLAGS    more go build -ldflags after unikgen's own ("-s -w"
			                  strips the symbol table and DWARF; the image boots)
			-x                print the go commands and the QEMU command line
			                  on standard error as they run, and the progress of
			                  long work (printed anyway when standard error is a
			                  terminal: a first build compiling the standard library)
			-nocache          analyse the program afresh: neither read nor write the
			                  analysis cache (also UNIKGEN_CACHE=off)
		The analysis of a program is kept in os.UserCacheDir()/unikgen/analysis (UNIKGEN_CACHE
		names another directory), keyed by a hash of the program's files and every package it
		imports, the build tags and environment, the Go release and unikgen's own build: an
		unchanged program is not analysed again. explain -why always analyses afresh.
		A program configures its kernel with a package-level literal
		var _ = config.Kernel{...} (package github.com/unikgen/unikgen/config); a bad
		configuration is reported as unikgen: file:line:col: config.Kernel.Field: ... with exit
		status 2.

	version
		Print unikgen's version (the module version it was built from, or "devel" for a build
		from a work tree) and the Go version it was built with. generate records the version
		in unikgen_kernel.json ("unikgen_version"); diff says so when the record was written by
		another version, whose differences may come from unikgen rather than from the program.

	help [command]
		Print this text, or the paragraph and the flags of one command.

Environment variables and arguments travel on the kernel command line (see docs/internals.md,
"Boot command line"); they are boot-time settings, not part of the image.

Exit status: build exits 0 when the image was written. run exits with the program's own exit
status. Both exit 1 when go build fails (its messages are printed unchanged) or the guest crashed
(under Xen also: rebooted, ended without an exit status, or the Xen harness could not be built or
failed), 2 for a usage error, a package that is not a main package or that cannot be found, or a
missing QEMU, and run exits 124 when the timeout expired (as timeout(1) does). On SIGINT (Ctrl-C),
SIGTERM or SIGHUP unikgen stops QEMU and the go command, removes its temporary files, prints
"unikgen: interrupted by SIGINT" and exits 128 + the signal's number (130 for Ctrl-C); a second
signal exits at once. When the reader of its standard output goes away (unikgen run . | head -3),
run stops QEMU, cleans up and exits 141, as a program killed by SIGPIPE. QEMU never outlives
unikgen, even one killed with SIGKILL.

A module outside this repository must require github.com/unikgen/unikgen. The program does not
import it itself (unikgen adds the import at build time), so keep the requirement with a tool
directive: go get -tool github.com/unikgen/unikgen/cmd/unikgen, then go tool unikgen run .
*/
package main
