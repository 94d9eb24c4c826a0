"""Every write and every rule of the exams app. Views, API, admin, commands and tasks call these."""
