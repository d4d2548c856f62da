package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"

	"github.com/nyisverige/lots/web/auth"
)

const usersUsage = `Usage:
  lots users grant EMAIL --role steward --agency AGENCY   let EMAIL steward AGENCY's sources
  lots users grant EMAIL --role admin                     let EMAIL administer all agencies
  lots users revoke EMAIL --role ROLE [--agency AGENCY]   take the role away
  lots users list                                         roles and grants, by e-mail address
  lots users invite --role ROLE [--agency AGENCY] [--valid 72h]
                                                          print a one-time link that gives the role
                                                          to whoever signs in (a passkey will do)

A role is given to whoever signs in with OpenID Connect with that verified e-mail address: at
once if they have signed in before, else at their first sign-in.`

// users runs lots users: staff roles, granted by e-mail address. The addresses are printed to
// the operator's terminal only; the audit log records the grants without them.
func (a *app) users(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("users: say grant, revoke, invite or list\n%s", usersUsage)
	}
	if err := a.checkSchema(ctx); err != nil {
		return err
	}
	accounts := auth.NewAccounts(a.store.Pool(), a.log, auth.AccountsConfig{})
	switch args[0] {
	case "grant", "revoke":
		email, role, err := parseRoleArgs(args[0], args[1:])
		if err != nil {
			return err
		}
		by := "cli:" + operator()
		if args[0] == "grant" {
			if err := accounts.Grant(ctx, email, role, by); err != nil {
				return fmt.Errorf("users grant: %w", err)
			}
			fmt.Fprintf(stdout, "granted %s to %s\n", roleName(role), email)
			return nil
		}
		if err := accounts.Revoke(ctx, email, role, by); err != nil {
			if errors.Is(err, auth.ErrNoGrant) {
				return fmt.Errorf("users revoke: %s does not have %s", email, roleName(role))
			}
			return fmt.Errorf("users revoke: %w", err)
		}
		fmt.Fprintf(stdout, "revoked %s from %s\n", roleName(role), email)
		return nil
	case "invite":
		link, err := a.invite(ctx, accounts, args[1:])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Open this link, sign in and accept (it works once):\n%s\n", link)
		return nil
	case "list":
		if len(args) > 1 {
			return fmt.Errorf("users list takes no arguments")
		}
		grants, err := accounts.Grants(ctx)
		if err != nil {
			return err
		}
		return writeTable(stdout, grants, "no roles granted; see lots users grant --help", "E-MAIL\tROLE\tAGENCY\tSTATUS\tGRANTED BY\tSINCE",
			func(g auth.Grant) string {
				status := "waiting for first sign-in"
				if g.Active {
					status = "active"
				} else if g.UserID != "" {
					status = "signed in, not applied"
				}
				return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", cmp.Or(g.Email, "(no e-mail)"), g.Role.Name, cmp.Or(g.Role.Agency, "(all)"), status,
					cmp.Or(g.GrantedBy, "-"), g.CreatedAt.Format("2006-01-02"))
			})
	default:
		return fmt.Errorf("users %s: unknown; say grant, revoke, invite or list\n%s", args[0], usersUsage)
	}
}

// parseRoleArgs reads EMAIL --role ROLE [--agency AGENCY], flags before or after the address.
func parseRoleArgs(cmd string, args []string) (string, auth.Role, error) {
	fs := flag.NewFlagSet("lots users "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := bindRole(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return "", *role, fmt.Errorf("users %s: %w\n%s", cmd, err, usersUsage)
	}
	if len(positional) != 1 || role.Name == "" {
		return "", *role, fmt.Errorf("users %s: want one e-mail address and --role\n%s", cmd, usersUsage)
	}
	return positional[0], *role, nil
}

// bindRole registers --role and --agency, the role a command gives or takes.
func bindRole(fs *flag.FlagSet) *auth.Role {
	var role auth.Role
	fs.StringVar(&role.Name, "role", "", "steward or admin")
	fs.StringVar(&role.Agency, "agency", "", "the agency a steward looks after (the name in sources.yaml)")
	return &role
}

func roleName(r auth.Role) string {
	if r.Agency == "" {
		return r.Name
	}
	return r.Name + " of " + r.Agency
}

// operator names who runs the command, for the audit log.
func operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return cmp.Or(os.Getenv("USER"), "operator")
}

// invite makes a one-time link to a staff role: lots users invite --role ROLE [--agency A].
func (a *app) invite(ctx context.Context, accounts *auth.Accounts, args []string) (string, error) {
	fs := flag.NewFlagSet("lots users invite", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := bindRole(fs)
	valid := fs.Duration("valid", 72*time.Hour, "how long the link works")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || role.Name == "" || *valid <= 0 {
		return "", fmt.Errorf("users invite: want --role and optionally --agency and --valid\n%s", usersUsage)
	}
	token, err := accounts.Invite(ctx, *role, "cli:"+operator(), *valid)
	if err != nil {
		return "", fmt.Errorf("users invite: %w", err)
	}
	return a.cfg.publicURL(a.cfg.Addr) + "/signin/invite/" + token, nil
}
