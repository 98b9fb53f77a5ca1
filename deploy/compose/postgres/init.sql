-- One database per service, created when deploy/compose.yaml's postgres starts on an empty data
-- volume (/docker-entrypoint-initdb.d). deploy/compose_test.go checks that every service's DSN
-- names one of these.
CREATE DATABASE vanguard_org;
CREATE DATABASE vanguard_course;
CREATE DATABASE vanguard_quiz;
CREATE DATABASE vanguard_studyhour;
CREATE DATABASE vanguard_growth;
CREATE DATABASE vanguard_search;
