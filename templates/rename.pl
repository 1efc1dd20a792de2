#!/usr/bin/perl
# maven-promote rename script for promotion {{ID}}: the same steps as rename.sh, in one process.
#
# Generated from templates/rename.pl; every name below was validated and is single-quoted.
# rename.sh forks a process (mv, date) for every step, so a client could see a metadata file and
# its checksums out of step for as long as a fork takes; here each step is one system call, and
# the whole commit of hundreds of metadata files takes milliseconds. It needs only perl-base
# (strict, warnings, POSIX, File::Path, IO::Handle); Time::HiRes, where present, times the marks.
# Like rename.sh, every step is idempotent: run again after a crash, it continues where it
# stopped, and each finished step is appended to steps.log in the promotion's state directory.
use strict;
use warnings;
use File::Path qw(make_path);
use IO::Handle;
use POSIX qw(strftime);

my $ROOT = {{ROOT}};
my $STATE = {{STATE}};
chdir $ROOT or die "maven-promote rename: cannot enter $ROOT: $!\n";
my $hires = eval { require Time::HiRes; 1 };

open(my $log, '>>', "$STATE/steps.log") or die "maven-promote rename: cannot append to $STATE/steps.log: $!\n";
$log->autoflush(1);

# UTC with nanoseconds, as rename.sh's date +%N; without Time::HiRes, marks carry no time ("-")
# and the window is reported as not measured rather than rounded to whole seconds.
sub now {
  my ($precise) = @_;
  return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time())) if !$hires && !$precise;
  return '-' if !$hires;
  my $t = Time::HiRes::time();
  my $seconds = int($t);
  return strftime('%Y-%m-%dT%H:%M:%S', gmtime($seconds)) . sprintf('.%09dZ', int(($t - $seconds) * 1e9));
}

sub log_line { print {$log} "$_[0]\n" or die "maven-promote rename: cannot append to $STATE/steps.log: $!\n"; }

sub fail {
  my ($message) = @_;
  print {$log} "fail $message\n";
  print STDERR "maven-promote rename: $message\n";
  exit 1;
}

sub present { return -e $_[0] || -l $_[0]; }

sub parent { my ($path) = @_; return $path =~ m{^(.*)/[^/]+$} ? $1 : '.'; }

# cp -p where a hard link cannot be made: the bytes, the mode and the times.
sub copy_preserving {
  my ($from, $to) = @_;
  my @info = stat($from) or return 0;
  open(my $in, '<:raw', $from) or return 0;
  open(my $out, '>:raw', $to) or return 0;
  my $buffer;
  while (1) {
    my $read = sysread($in, $buffer, 1 << 20);
    return 0 if !defined $read;
    last if $read == 0;
    syswrite($out, $buffer) == $read or return 0;
  }
  close($out) or return 0;
  chmod($info[2] & 07777, $to);
  utime($info[8], $info[9], $to);
  return 1;
}

# Records a journal state change (committing, committed).
sub step_state { log_line("state $_[0] " . now()); }

# Keeps the target's current file (hard link, else copy) so rollback can restore it byte for byte.
sub step_backup {
  my ($path) = @_;
  return if !-f $path;
  my $backup = "$STATE/backup/$path";
  if (!-e $backup) {
    make_path(parent($backup));
    link($path, $backup) or copy_preserving($path, $backup) or fail("cannot back up $path: $!");
  }
  log_line("backup $path");
}

# A new version directory: never moved onto or into an existing name.
sub step_move_dir {
  my ($from, $to) = @_;
  if (-d $from) {
    fail("$to already exists; refusing to move $from onto it") if present($to);
    rename($from, $to) or fail("cannot move $from to $to: $!");
  } elsif (!-d $to) {
    fail("neither $from nor $to exists");
  }
  log_line("move-dir $to");
}

# A file; with "replace", an existing destination is replaced by one rename(2).
sub step_move_file {
  my ($from, $to, $mode) = @_;
  if (-f $from) {
    fail("$to already exists; refusing to overwrite it") if $mode ne 'replace' && present($to);
    rename($from, $to) or fail("cannot move $from to $to: $!");
  } elsif (!-f $to) {
    fail("neither $from nor $to exists");
  }
  log_line("move-file $to");
}

sub step_remove {
  my ($path) = @_;
  unlink($path) or !present($path) or fail("cannot remove $path: $!");
  log_line("remove $path");
}

# A durability barrier (DESIGN.md invariant 9): syncfs(2) of the repository's file system through
# sync -f, or every file system through sync; the only processes this script starts.
sub step_sync {
  system('sync', '-f', '.') == 0 or system('sync') == 0 or fail('sync failed');
  log_line("sync $_[0]");
}

# Timestamps around the metadata flips: the window in which a client can see them out of step.
sub step_mark { log_line("mark $_[0] " . now(1) . (defined $_[1] ? " $_[1]" : '')); }

log_line('runner perl');
{{STEPS}}
