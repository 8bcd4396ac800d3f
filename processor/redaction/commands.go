package redaction

import "strings"

// commandNames are programs whose name followed by an argument is a shell
// command line. Shell names (bash, sh, ...) are here too: as enum values they
// never carry an argument.
var commandNames = func() map[string]struct{} {
	names := strings.Fields(`
		rm rmdir sudo su doas curl wget chmod chown chgrp chattr dd mkfs fdisk parted mount umount
		cat tac echo printf export unset env set source eval exec alias ssh scp sftp rsync ftp telnet
		nc ncat netcat nmap ping traceroute dig nslookup host whois ifconfig ip iptables ufw route
		git docker podman kubectl helm kill killall pkill find xargs tar zip unzip gzip gunzip bzip2 xz
		cp mv ln ls ll cd pwd mkdir touch head tail less more grep egrep fgrep rg sed awk sort uniq wc
		cut tr tee diff ps top htop df du free systemctl service launchctl shutdown reboot halt poweroff
		crontab at nohup watch time timeout apt apt-get dpkg yum dnf rpm pacman apk brew port snap
		flatpak pip pip3 pipx npm npx yarn pnpm bun deno cargo rustup go make cmake gcc clang python
		python2 python3 node ruby perl php lua java bash sh zsh fish dash ksh csh tcsh pwsh powershell
		cmd open xdg-open vi vim nvim nano emacs code history which whereis whoami id passwd useradd
		userdel usermod groupadd chsh chpasswd visudo base64 openssl gpg ssh-keygen ssh-add aws gcloud
		az terraform ansible psql mysql redis-cli mongo mongosh sqlite3 del erase rd copy move xcopy
		robocopy type dir format diskpart reg regedit taskkill tasklist net netsh icacls attrib runas
		cacls takeown schtasks sc wmic bcdedit cipher iex invoke-expression invoke-webrequest
		remove-item get-childitem set-executionpolicy start-process
	`)
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}()

func isCommandName(word string) bool {
	if i := strings.LastIndexAny(word, `/\`); i >= 0 {
		word = word[i+1:]
	}
	var buf [24]byte
	key, ok := lowerKey(buf[:], word)
	if !ok {
		return false
	}
	if _, ok := commandNames[string(key)]; ok {
		return true
	}
	// mkfs.ext4, python3.12, cmd.exe
	if i := strings.IndexByte(word, '.'); i > 0 {
		_, ok := commandNames[string(key[:i])]
		return ok
	}
	return false
}

// hasCommandWord finds a known command followed by an argument, and an
// option (-x, --flag) after whitespace.
func hasCommandWord(s string) bool {
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		word := s[start:i]
		if word == "" {
			break
		}
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j > i && j < len(s) && isCommandName(word) {
			return true
		}
		if start > 0 && len(word) >= 2 && word[0] == '-' &&
			(isLetter(word[1]) || (word[1] == '-' && len(word) >= 3 && isLetter(word[2]))) {
			return true
		}
		i = j
	}
	return false
}

// hasAssignment finds NAME=value: an environment variable or a shell
// assignment (credential names were caught as secrets before).
func hasAssignment(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == '=' && (isAlnum(s[i-1]) || s[i-1] == '_') {
			return true
		}
	}
	return false
}
